package dev.vivarium.core.kv;

import java.time.Duration;
import java.util.function.Function;

/**
 * What {@link KvStores#store} hands out: one deployment's store that stays usable when an operator
 * deletes the store (the next operation starts a new, empty one) or when a commit failed (the next
 * operation opens it again from its last commit), but not once the store's lifetime ended or its
 * deployment was removed (the deployment is gone with it).
 */
final class StoreHandle implements KvStore {
    private final KvStores owner;
    private final String id;
    private volatile MapDbKvStore current;

    StoreHandle(KvStores owner, String id, MapDbKvStore current) {
        this.owner = owner;
        this.id = id;
        this.current = current;
    }

    private <T> T call(Function<MapDbKvStore, T> op) {
        MapDbKvStore s = current;
        try {
            return op.apply(s);
        } catch (KvUnavailableException e) {
            MapDbKvStore.Closed reason = s.closedReason();
            // again only what had no effect: never a write a commit may have covered
            boolean reopen =
                    reason == MapDbKvStore.Closed.DELETED
                            || reason == MapDbKvStore.Closed.FAILED
                            || e.isNotApplied();
            if (!reopen) {
                throw e;
            }
            MapDbKvStore fresh = owner.live(id);
            current = fresh;
            return op.apply(fresh);
        }
    }

    @Override
    public boolean insert(String key, byte[] value) {
        return call(s -> s.insert(key, value));
    }

    @Override
    public boolean insertWithTtl(String key, byte[] value, Duration ttl) {
        return call(s -> s.insertWithTtl(key, value, ttl));
    }

    @Override
    public boolean upsert(String key, byte[] value) {
        return call(s -> s.upsert(key, value));
    }

    @Override
    public boolean append(String key, byte[] value) {
        return call(s -> s.append(key, value));
    }

    @Override
    public byte[] get(String key) {
        return call(s -> s.get(key));
    }

    @Override
    public boolean remove(String key) {
        return call(s -> s.remove(key));
    }

    @Override
    public String toString() {
        return "KvStore[" + id + "]";
    }
}
