package dev.vivarium.core.kv;

import dev.vivarium.core.kv.StoreCounters.Op;
import dev.vivarium.core.kv.StoreCounters.Result;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What {@link KvStores#store} hands out: one deployment's store, whatever the backend. It does what
 * every backend needs done the same way: the key limit and the insert-value limit, a time to live
 * turned into an expiry on the engine's clock, the operation counts. It stays usable when an
 * operator deletes the store (the next operation starts a new, empty one) or when the backend's
 * store object failed (the next operation opens it again from its last commit), but not once the
 * store's lifetime ended or its deployment was removed (the deployment is gone with it).
 */
final class StoreHandle implements KvStore {
    private final KvStores owner;
    private final String id;
    private final KvLimits limits;
    private final Clock clock;
    private volatile OpenStore current;

    StoreHandle(KvStores owner, String id, OpenStore current) {
        this.owner = owner;
        this.id = id;
        this.limits = owner.options().limits();
        this.clock = owner.clock();
        this.current = current;
    }

    private <T> T call(Function<KvBackendStore, T> op) {
        OpenStore o = current;
        try {
            return op.apply(o.store);
        } catch (KvUnavailableException e) {
            StoreClosed reason = o.store.closedReason();
            // again only what had no effect: never a write a commit may have covered
            boolean reopen =
                    reason == StoreClosed.DELETED
                            || reason == StoreClosed.FAILED
                            || e.isNotApplied();
            if (!reopen) {
                throw e;
            }
            OpenStore fresh = owner.live(id);
            current = fresh;
            return op.apply(fresh.store);
        }
    }

    /**
     * Runs an operation and counts it by what it found: {@code present} says whether the key was
     * there; a limit or an unavailable store counts as an error.
     */
    private <T> T counted(Op op, Supplier<T> run, Predicate<T> present) {
        StoreCounters c = counters();
        T result;
        try {
            result = run.get();
        } catch (RuntimeException e) {
            c.count(op, Result.ERROR);
            throw e;
        }
        c.count(op, present.test(result) ? Result.HIT : Result.MISS);
        return result;
    }

    private StoreCounters counters() {
        return current.counters;
    }

    /** Checks a key to be written: the limit breaks loudly. */
    private void checkWriteKey(String key) {
        limits.checkKey(KvLimits.keyBytes(Objects.requireNonNull(key, "key")));
    }

    /** Whether a key can exist at all; one longer than the limit cannot, so it is absent. */
    private boolean canExist(String key) {
        return KvLimits.keyBytes(Objects.requireNonNull(key, "key")) <= limits.maxKeySize();
    }

    @Override
    public boolean insert(String key, byte[] value) {
        return put(key, value, 0, false);
    }

    @Override
    public boolean insertWithTtl(String key, byte[] value, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a KV time to live must be positive, got " + ttl);
        }
        long now = clock.millis();
        long millis =
                ttl.compareTo(Duration.ofMillis(Long.MAX_VALUE - now)) >= 0
                        ? Long.MAX_VALUE - now
                        : Math.max(1, ttl.plusNanos(999_999).toMillis());
        return put(key, value, now + millis, false);
    }

    @Override
    public boolean upsert(String key, byte[] value) {
        return put(key, value, 0, true);
    }

    private boolean put(String key, byte[] value, long expiresAt, boolean onlyIfAbsent) {
        Objects.requireNonNull(value, "value");
        Supplier<Boolean> write =
                () -> {
                    checkWriteKey(key);
                    if (!onlyIfAbsent) {
                        // an upsert of a present key writes nothing, so only the backend can tell
                        limits.checkValue(value.length, false);
                    }
                    return call(s -> s.put(key, value, expiresAt, onlyIfAbsent, clock.millis()));
                };
        // true: the key was absent
        return counted(onlyIfAbsent ? Op.UPSERT : Op.INSERT, write, absent -> !absent);
    }

    @Override
    public boolean append(String key, byte[] value) {
        Objects.requireNonNull(value, "value");
        Supplier<Boolean> write =
                () -> {
                    checkWriteKey(key);
                    return call(s -> s.append(key, value, clock.millis()));
                };
        return counted(Op.APPEND, write, absent -> !absent);
    }

    @Override
    public byte[] get(String key) {
        Objects.requireNonNull(key, "key");
        return counted(
                Op.GET,
                () -> canExist(key) ? call(s -> s.get(key, clock.millis())) : null,
                Objects::nonNull);
    }

    @Override
    public boolean remove(String key) {
        Objects.requireNonNull(key, "key");
        return counted(
                Op.REMOVE,
                () -> canExist(key) && call(s -> s.remove(key, clock.millis())),
                removed -> removed);
    }

    @Override
    public String toString() {
        return "KvStore[" + id + "]";
    }
}
