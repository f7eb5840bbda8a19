package dev.vivarium.core.deploy;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * Where uploaded deployments are kept so they outlive the process: files on one node ({@link
 * FileDeploymentRepository}), or a database shared by several nodes ({@code
 * deployments.store=postgresql}, see {@link DeploymentStoreProvider}). The {@link
 * DeploymentRegistry} saves and deletes through it, lists it at start, and lists it again whenever
 * it is told that something changed: a notice carries no data ("look again"), so a lost or repeated
 * one does no harm.
 */
public interface DeploymentRepository extends AutoCloseable {
    /** Keeps a deployment, replacing the one with the same id; atomic per deployment. */
    void save(DeploymentRecord deployment) throws IOException;

    /** Forgets deployment {@code id}; nothing happens if there is none. */
    void delete(String id) throws IOException;

    /**
     * Forgets deployment {@code id} because its lifetime ended as of {@code now}, if it is still
     * kept and still ended. Several nodes sharing a repository all see it end: only one call across
     * them returns true, and that node deletes the KV store with it.
     *
     * @return whether this call removed it
     */
    default boolean expire(String id, Instant now) throws IOException {
        delete(id);
        return true;
    }

    /**
     * Every deployment kept, in a stable order. One that cannot be read is left where it is, logged
     * and skipped.
     */
    List<DeploymentRecord> list() throws IOException;

    /**
     * The registry has made what it serves match the last {@link #list} (loaded what it could,
     * retired what was gone): a shared repository may report it, e.g. as the version this node
     * serves.
     */
    default void applied() {}

    /**
     * The nodes serving this repository's deployments and the generation each serves, as their
     * heartbeats say ({@code GET .../nodes}, {@code vivarium deploy --wait}). A repository only
     * this node uses is {@link NodeList#notShared not shared}.
     *
     * @throws RepositoryUnavailableException if a shared repository cannot be reached now
     */
    default NodeList nodes() throws IOException {
        return NodeList.notShared("file");
    }

    /**
     * Calls {@code onChange} when deployments may have changed through someone else (another node,
     * an operator); never for this repository's own {@link #save} and {@link #delete}.
     *
     * @return stops the watch
     */
    AutoCloseable watch(Runnable onChange);

    /**
     * Whether it keeps a bundle's assets ({@link DeploymentRecord#bundle()}, a directory on this
     * node's disk) with the deployment; a repository that does not is never given a bundle with
     * assets (the upload is refused).
     */
    default boolean keepsAssets() {
        return false;
    }

    /** Where the deployments are kept, for messages. */
    String describe();

    @Override
    default void close() {}
}
