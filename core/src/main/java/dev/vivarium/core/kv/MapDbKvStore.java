package dev.vivarium.core.kv;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mapdb.DB;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One deployment's store in its own MapDB file with a write-ahead log, memory-mapped.
 *
 * <p>Writes are serialized by one lock per store, which makes {@code append} and {@code upsert}
 * atomic and keeps the size accounting exact; each write returns only once a commit covers it (see
 * {@link GroupCommit}). Reads take no write lock. A read may see a write that another thread has
 * applied but not yet committed (at most one commit's worth); a writer never reports success before
 * its own write is on disk. Writes and commits run on {@link WriterThreads}; reads run on the
 * caller's thread.
 */
final class MapDbKvStore implements KvStore {
    private static final Logger LOG = LoggerFactory.getLogger(MapDbKvStore.class);

    /** Why a store no longer serves. */
    enum Closed {
        DELETED("was deleted"),
        REMOVED("was deleted with its deployment"),
        FAILED("could not write to disk; it is opened again from its last commit"),
        EXPIRED("was deleted when its lifetime ended"),
        CLOSED("is closed (the engine is stopping)");

        final String text;

        Closed(String text) {
            this.text = text;
        }
    }

    private final String id;
    private final WriterThreads writers;
    private final KvOptions options;
    private final Clock clock;
    private final DB db;
    private final HTreeMap<String, StoredValue> values;
    private final HTreeMap<String, Long> expiries;
    // fair: a commit leader queues behind the writers already waiting, so its commit covers them
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final GroupCommit commits;
    final StoreCounters counters = new StoreCounters();

    // written under writeLock, read anywhere
    private volatile long bytes;
    private volatile long keys;
    private volatile long nextExpiry = Long.MAX_VALUE;
    private volatile long lifetimeEnd;
    private volatile Closed closed;
    private final StoreLock lock;

    /** Wraps an open database; see {@link MapDbOpener} for how it is opened. */
    MapDbKvStore(
            String id,
            WriterThreads writers,
            KvOptions options,
            Clock clock,
            DB db,
            long lifetimeEnd,
            StoreLock lock) {
        this.id = id;
        this.lifetimeEnd = lifetimeEnd;
        this.writers = writers;
        this.options = options;
        this.clock = clock;
        this.db = db;
        this.lock = lock;
        this.values =
                db.hashMap("values", Serializer.STRING, StoredValue.Codec.INSTANCE).createOrOpen();
        this.expiries = db.hashMap("expiries", Serializer.STRING, Serializer.LONG).createOrOpen();
        this.commits = new GroupCommit(writeLock, db::commit);
        db.commit();
        long b = 0;
        long k = 0;
        for (Map.Entry<String, StoredValue> e : values.getEntries()) {
            b += Utf8.length(e.getKey()) + e.getValue().data().length;
            k++;
        }
        long next = Long.MAX_VALUE;
        for (Long at : expiries.getValues()) {
            next = Math.min(next, at);
        }
        this.bytes = b;
        this.keys = k;
        this.nextExpiry = next;
    }

    String id() {
        return id;
    }

    // --- KvStore ---------------------------------------------------------------------------

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
        counters.count(onlyIfAbsent ? counters.upserts : counters.inserts);
        return write(
                key,
                (keyBytes, now) -> {
                    StoredValue old = values.get(key);
                    boolean absent = old == null || old.expiredAt(now);
                    if (onlyIfAbsent && !absent) {
                        return false;
                    }
                    checkValue(value.length, false);
                    old = roomFor(key, keyBytes, old, value.length, now);
                    values.put(key, new StoredValue(expiresAt, value));
                    track(key, keyBytes, old, expiresAt, value.length);
                    return absent;
                });
    }

    @Override
    public boolean append(String key, byte[] value) {
        Objects.requireNonNull(value, "value");
        counters.count(counters.appends);
        return write(
                key,
                (keyBytes, now) -> {
                    StoredValue old = values.get(key);
                    boolean absent = old == null || old.expiredAt(now);
                    long length = absent ? value.length : (long) old.data().length + value.length;
                    checkValue(length, !absent);
                    old = roomFor(key, keyBytes, old, length, now);
                    absent = old == null || old.expiredAt(now);
                    byte[] data = value;
                    long expiresAt = 0;
                    if (!absent) {
                        data = new byte[(int) length];
                        System.arraycopy(old.data(), 0, data, 0, old.data().length);
                        System.arraycopy(value, 0, data, old.data().length, value.length);
                        expiresAt = old.expiresAt();
                    }
                    values.put(key, new StoredValue(expiresAt, data));
                    track(key, keyBytes, old, expiresAt, data.length);
                    return absent;
                });
    }

    @Override
    public byte[] get(String key) {
        Objects.requireNonNull(key, "key");
        counters.count(counters.gets);
        StoredValue v = null;
        if (Utf8.length(key) <= options.maxKeySize()) {
            lifecycle.readLock().lock();
            try {
                ensureOpen();
                v = values.get(key);
            } finally {
                lifecycle.readLock().unlock();
            }
        }
        if (v == null || v.expiredAt(clock.millis())) {
            counters.count(counters.misses);
            return null;
        }
        counters.count(counters.hits);
        return v.data();
    }

    @Override
    public boolean remove(String key) {
        counters.count(counters.removes);
        if (Utf8.length(key) > options.maxKeySize()) {
            return false;
        }
        return write(
                key,
                (keyBytes, now) -> {
                    StoredValue old = values.remove(key);
                    if (old == null) {
                        return false;
                    }
                    track(key, keyBytes, old, 0, -1);
                    return !old.expiredAt(now);
                });
    }

    // --- writes ----------------------------------------------------------------------------

    /** One write: runs under the write lock, changes nothing before its checks pass. */
    @FunctionalInterface
    private interface Mutation {
        boolean apply(int keyBytes, long nowMillis);
    }

    private boolean write(String key, Mutation mutation) {
        Objects.requireNonNull(key, "key");
        int keyBytes = Utf8.length(key);
        if (keyBytes > options.maxKeySize()) {
            throw KvLimitException.key(keyBytes, options.maxKeySize());
        }
        return writers.call(() -> locked(() -> mutation.apply(keyBytes, clock.millis())));
    }

    /**
     * Runs one complete change under the write lock, then waits until a commit covers it. A change
     * that throws a limit exception has changed nothing; any other failure may have left memory and
     * disk apart, so the store stops taking writes and is opened again from its last commit.
     */
    private <T> T locked(java.util.function.Supplier<T> change) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            T result;
            long seq;
            writeLock.lock();
            try {
                result = change.get();
                seq = commits.lastApplied();
                if (!options.groupCommit()) {
                    commits.commitHeld(seq);
                }
            } catch (KvLimitException | KvUnavailableException e) {
                throw e;
            } catch (RuntimeException e) {
                commits.fail(e);
                // nothing is committed after this, so the change had no effect on disk
                throw KvUnavailableException.notApplied(
                        "the KV store of deployment '" + id + "' failed: " + e, e);
            } finally {
                writeLock.unlock();
            }
            commits.awaitDurable(seq);
            return result;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void checkValue(long length, boolean appending) {
        if (length > options.maxValueSize()) {
            throw KvLimitException.value(length, appending, options.maxValueSize());
        }
    }

    /**
     * Checks that the store can take the new entry, purging expired keys once if it cannot.
     *
     * @return the key's current entry (re-read if the purge removed it)
     */
    private StoredValue roomFor(String key, int keyBytes, StoredValue old, long length, long now) {
        long after = bytes - size(keyBytes, old) + keyBytes + length;
        if (after > options.maxStoreSize() && purgeHeld(now) > 0) {
            old = values.get(key);
            after = bytes - size(keyBytes, old) + keyBytes + length;
        }
        if (after > options.maxStoreSize()) {
            throw KvLimitException.store(id, after, options.maxStoreSize());
        }
        return old;
    }

    private static long size(int keyBytes, StoredValue v) {
        return v == null ? 0 : keyBytes + v.data().length;
    }

    /** Accounts for replacing {@code old} by a value of {@code length} bytes (-1: removed). */
    private void track(String key, int keyBytes, StoredValue old, long expiresAt, long length) {
        if (expiresAt != 0) {
            expiries.put(key, expiresAt);
            nextExpiry = Math.min(nextExpiry, expiresAt);
        } else if (old != null && old.expiresAt() != 0) {
            expiries.remove(key);
        }
        long delta = -size(keyBytes, old) + (length < 0 ? 0 : keyBytes + length);
        bytes += delta;
        keys += (old == null ? 1 : 0) - (length < 0 ? 1 : 0);
        commits.applied();
    }

    /** Deletes expired keys; call under the write lock. */
    private int purgeHeld(long now) {
        if (now < nextExpiry) {
            return 0;
        }
        List<String> dead = new ArrayList<>();
        long next = Long.MAX_VALUE;
        for (Map.Entry<String, Long> e : expiries.getEntries()) {
            if (e.getValue() <= now) {
                dead.add(e.getKey());
            } else {
                next = Math.min(next, e.getValue());
            }
        }
        for (String key : dead) {
            StoredValue old = values.remove(key);
            expiries.remove(key);
            if (old != null) {
                bytes -= size(Utf8.length(key), old);
                keys--;
            }
        }
        nextExpiry = next;
        if (!dead.isEmpty()) {
            commits.applied();
            counters.purged.add(dead.size());
        }
        return dead.size();
    }

    // --- operations for KvStores -------------------------------------------------------------

    /** Deletes the keys that expired by {@code now}, durably; returns how many. */
    int purgeExpired(long now) {
        return maintain(() -> purgeHeld(now));
    }

    /** Deletes every key, durably. */
    void clear() {
        maintain(
                () -> {
                    values.clear();
                    expiries.clear();
                    bytes = 0;
                    keys = 0;
                    nextExpiry = Long.MAX_VALUE;
                    commits.applied();
                    return 0;
                });
    }

    private int maintain(java.util.function.IntSupplier work) {
        return writers.call(() -> locked(work::getAsInt));
    }

    /** Up to {@code limit} live keys, in no particular order. */
    List<String> keys(int limit) {
        List<String> out = new ArrayList<>();
        long now = clock.millis();
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            for (Map.Entry<String, StoredValue> e : values.getEntries()) {
                if (out.size() >= limit) {
                    break;
                }
                if (!e.getValue().expiredAt(now)) {
                    out.add(e.getKey());
                }
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        return out;
    }

    long keyCount() {
        return keys;
    }

    long byteCount() {
        return bytes;
    }

    long commitCount() {
        return commits.commits();
    }

    long lifetimeEnd() {
        return lifetimeEnd;
    }

    void lifetimeEnd(long epochMillis) {
        this.lifetimeEnd = epochMillis;
    }

    Closed closedReason() {
        return closed;
    }

    /** Closes the file once in-flight operations are done; later operations fail with reason. */
    void close(Closed reason) {
        lifecycle.writeLock().lock();
        try {
            if (closed != null) {
                return;
            }
            closed = reason;
            try {
                db.close();
            } catch (RuntimeException e) {
                // e.g. after a failed commit; the store is closed for its users either way
                LOG.warn("closing the KV store of deployment '{}' failed: {}", id, e.toString());
            } finally {
                lock.release();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /**
     * Whether a commit failed: what is on disk is only what earlier commits wrote, and the store
     * must be opened again from it ({@link KvStores} does, on the next operation).
     */
    boolean failed() {
        return commits.failed();
    }

    private void ensureOpen() {
        Closed c = closed;
        if (c != null) {
            throw new KvUnavailableException("the KV store of deployment '" + id + "' " + c.text);
        }
        // a failed store must not show the writes whose commit failed
        commits.checkNotFailed();
    }
}
