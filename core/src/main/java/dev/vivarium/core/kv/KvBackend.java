package dev.vivarium.core.kv;

import java.util.List;

/**
 * Where the deployments' key-value data lives: the service provider interface a storage backend
 * implements ({@code kv.backend}; the embedded default is {@code mapdb}). {@link KvStores} sits
 * above every backend and owns what they share: the key and insert-value limits, time-to-live
 * arithmetic on the engine's clock, the expiry run, the store's lifetime tied to its deployment,
 * reopening a deleted or failed store, and the meters. A backend only keeps data and answers.
 *
 * <p>What a backend promises (the contract suite {@code KvBackendContract} in core's test-jar
 * checks it):
 *
 * <ul>
 *   <li>every write of a {@link KvBackendStore} is atomic under concurrent writers, including
 *       writers in other processes for a shared backend, and durable when it returns;
 *   <li>the deployment ids it is given reach only their own data;
 *   <li>the store's lifetime end ({@link #lifetimeEnd(String, long)}) is stored durably beside the
 *       data, so that an expiry run of another process sees it for stores it never opened;
 *   <li>a failure that is not a broken limit is a {@link KvUnavailableException} (the request is
 *       answered 503), never a hang: a remote backend bounds every call by a timeout below the
 *       request deadline. A thread interrupted by the deadline stops waiting at once;
 *   <li>methods are thread-safe. {@link KvStores} serializes {@link #open}, {@link #delete} and
 *       {@link #lifetimeEnd(String, long)} per deployment id within one engine.
 * </ul>
 *
 * <p>A backend is found by name through a {@link KvBackendProvider}.
 */
public interface KvBackend extends AutoCloseable {
    /** The name {@code kv.backend} selects it by. */
    String name();

    /**
     * Opens the store of a deployment, creating it empty if it has none.
     *
     * @throws IllegalArgumentException if the id cannot name a store in this backend (too long)
     * @throws KvUnavailableException if the store cannot be opened now (in use by another engine,
     *     unreadable, unreachable)
     */
    KvBackendStore open(String deploymentId);

    /** Whether the deployment has a store, open or not. */
    boolean exists(String deploymentId);

    /** Every deployment that has a store, in any order. */
    List<String> list();

    /**
     * Deletes a deployment's store: its keys and its lifetime; nothing if it has none. {@link
     * KvStores} has closed the store object it opened, if any. A store whose data is unreadable can
     * still be deleted.
     *
     * @throws KvUnavailableException if it cannot be deleted now (another engine has it open, the
     *     backend is unreachable); nothing is deleted then
     */
    void delete(String deploymentId);

    /**
     * When the deployment's store is to be deleted, in epoch millis; 0 if it lives until deleted.
     */
    long lifetimeEnd(String deploymentId);

    /**
     * Records durably when the store is to be deleted ({@code 0}: never); the store exists (it was
     * opened).
     */
    void lifetimeEnd(String deploymentId, long epochMillis);

    /**
     * What one engine's expiry pass did for every engine sharing a backend ({@link #expireShared}).
     *
     * @param deletedStores the stores whose lifetime ended, deleted with their keys
     * @param purgedKeys expired keys deleted, of every store
     * @param orphanKeys keys of deleted stores deleted (written by a request another engine was
     *     still running when the store was deleted)
     */
    record SharedExpiry(List<String> deletedStores, long purgedKeys, long orphanKeys) {
        public SharedExpiry {
            deletedStores = List.copyOf(deletedStores);
        }
    }

    /**
     * Whether several engines (nodes) keep their stores in this backend. Then expiry runs once for
     * all of them: {@link KvStores} calls {@link #expireShared} instead of deleting and purging
     * store by store.
     */
    default boolean shared() {
        return false;
    }

    /**
     * For a {@link #shared} backend: one expiry pass for every engine, if no other engine runs one
     * now (a lock in the backend, held for the pass, such as a database advisory lock): deletes the
     * expired keys of every store, the stores whose lifetime ended by {@code now}, and keys left in
     * deleted stores.
     *
     * @return what it did, or null if another engine holds the pass
     * @throws KvUnavailableException if the backend cannot be reached
     */
    default SharedExpiry expireShared(long now) {
        throw new UnsupportedOperationException(name() + " is not shared");
    }

    /** Whether the backend can serve now; does not throw. */
    KvHealth health();

    /** Releases the backend; {@link KvStores} has closed every store object first. */
    @Override
    void close();
}
