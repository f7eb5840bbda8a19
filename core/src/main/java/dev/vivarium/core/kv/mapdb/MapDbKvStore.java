package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvBackendStore;
import dev.vivarium.core.kv.KvLimitException;
import dev.vivarium.core.kv.KvLimits;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.kv.PendingWrites;
import dev.vivarium.core.kv.StoreClosed;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.mapdb.DB;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One deployment's store in its own MapDB file (memory-mapped, with MapDB's write-ahead log) and a
 * {@link Journal} in front of it.
 *
 * <p>Writes are serialized by one lock per store, which makes {@code append} and {@code upsert}
 * atomic and keeps the size accounting exact; they are applied to a {@link WriteBuffer} in front of
 * MapDB, and a commit appends the buffer to the journal without holding the lock ({@link
 * GroupCommit}); checkpoints move it into MapDB. Each write returns only once a commit covers it,
 * unless its request waits for it later ({@link PendingWrites}) or {@code kv.durability=interval}.
 * Reads take no write lock. A read may see a write that another thread has applied but not yet
 * committed (at most two commits' worth); a writer is never told of success before its own write is
 * on disk (with {@code sync}). Commits, checkpoints and writes outside a request run on {@link
 * WriterThreads}; reads, and writes inside a request (memory only), run on the caller's thread,
 * which waits for its commit without touching a file.
 */
final class MapDbKvStore implements KvBackendStore, PendingWrites.Store {
    private static final Logger LOG = LoggerFactory.getLogger(MapDbKvStore.class);

    private final String id;
    private final WriterThreads writers;
    private final KvOptions options;
    private final KvLimits limits;
    private final DB db;
    private final HTreeMap<String, StoredValue> values;
    private final HTreeMap<String, Long> expiries;
    private final WriteBuffer buffer;
    // fair: a commit leader queues behind the writers already waiting, so its commit covers them
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final GroupCommit commits;
    private final LongAdder purged = new LongAdder();
    private final BackgroundCommits background;
    private final boolean interval; // kv.durability=interval
    private final Journal journal;
    private final long maxPendingNanos; // interval mode: oldest write not on disk, at most

    // written under writeLock, read anywhere
    private volatile long bytes;
    private volatile long keys;
    private volatile long nextExpiry = Long.MAX_VALUE;
    private volatile StoreClosed closed;
    private final StoreLock lock;

    /** Wraps an open database; see {@link MapDbOpener} for how it is opened. */
    MapDbKvStore(
            String id,
            WriterThreads writers,
            BackgroundCommits background,
            KvOptions options,
            DB db,
            Journal journal,
            StoreLock lock) {
        this.id = id;
        this.background = background;
        this.interval = options.durability() == KvOptions.Durability.INTERVAL;
        this.journal = journal;
        this.maxPendingNanos = 2 * options.syncInterval().toNanos();
        this.writers = writers;
        this.options = options;
        this.limits = options.limits();
        this.db = db;
        this.lock = lock;
        this.values =
                db.hashMap("values", Serializer.STRING, StoredValue.Codec.INSTANCE).createOrOpen();
        this.expiries = db.hashMap("expiries", Serializer.STRING, Serializer.LONG).createOrOpen();
        this.buffer =
                new WriteBuffer(db, values, expiries, journal, background.checkpointAgeNanos());
        this.commits = new GroupCommit(writeLock, (GroupCommit.Preparer) buffer::prepare);
        db.commit();
        long b = 0;
        long k = 0;
        for (Map.Entry<String, StoredValue> e : values.getEntries()) {
            b += KvLimits.keyBytes(e.getKey()) + e.getValue().data().length;
            k++;
        }
        long next = Long.MAX_VALUE;
        for (Long at : expiries.getValues()) {
            next = Math.min(next, at);
        }
        this.bytes = b;
        this.keys = k;
        this.nextExpiry = next;
        background.add(this);
    }

    String id() {
        return id;
    }

    // --- KvBackendStore -------------------------------------------------------------------

    @Override
    public boolean put(String key, byte[] value, long expiresAt, boolean onlyIfAbsent, long now) {
        Objects.requireNonNull(value, "value");
        return write(
                key,
                now,
                keyBytes -> {
                    StoredValue old = buffer.get(key);
                    boolean absent = old == null || old.expiredAt(now);
                    if (onlyIfAbsent && !absent) {
                        return false;
                    }
                    limits.checkValue(value.length, false);
                    old = roomFor(key, keyBytes, old, value.length, now);
                    // a copy: the caller may change its array (the buffer keeps it a while)
                    buffer.put(key, new StoredValue(expiresAt, value.clone()));
                    track(key, keyBytes, old, expiresAt, value.length);
                    return absent;
                });
    }

    @Override
    public boolean append(String key, byte[] value, long now) {
        Objects.requireNonNull(value, "value");
        return write(
                key,
                now,
                keyBytes -> {
                    StoredValue old = buffer.get(key);
                    boolean absent = old == null || old.expiredAt(now);
                    long length = absent ? value.length : (long) old.data().length + value.length;
                    limits.checkValue(length, !absent);
                    old = roomFor(key, keyBytes, old, length, now);
                    absent = old == null || old.expiredAt(now);
                    byte[] data;
                    long expiresAt = 0;
                    if (absent) {
                        data = value.clone(); // the caller may change its array
                    } else {
                        data = new byte[(int) length];
                        System.arraycopy(old.data(), 0, data, 0, old.data().length);
                        System.arraycopy(value, 0, data, old.data().length, value.length);
                        expiresAt = old.expiresAt();
                    }
                    buffer.put(key, new StoredValue(expiresAt, data));
                    track(key, keyBytes, old, expiresAt, data.length);
                    return absent;
                });
    }

    @Override
    public byte[] get(String key, long now) {
        Objects.requireNonNull(key, "key");
        StoredValue v;
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            v = buffer.read(key);
        } finally {
            lifecycle.readLock().unlock();
        }
        return v == null || v.expiredAt(now) ? null : v.data();
    }

    @Override
    public boolean remove(String key, long now) {
        return write(
                key,
                now,
                keyBytes -> {
                    StoredValue old = buffer.get(key);
                    if (old == null) {
                        return false;
                    }
                    buffer.remove(key);
                    track(key, keyBytes, old, 0, -1);
                    return !old.expiredAt(now);
                });
    }

    // --- writes ----------------------------------------------------------------------------

    /** One write: runs under the write lock, changes nothing before its checks pass. */
    @FunctionalInterface
    private interface Mutation {
        boolean apply(int keyBytes);
    }

    private boolean write(String key, long now, Mutation mutation) {
        Objects.requireNonNull(key, "key");
        int keyBytes = KvLimits.keyBytes(key);
        limits.checkKey(keyBytes);
        // read on the caller's thread: the request's scope, if it waits for its writes later
        PendingWrites pending = PendingWrites.current();
        boolean defer = pending != null;
        Applied<Boolean> done;
        if (options.groupCommit() && (defer || interval)) {
            // Applying touches memory only (the write buffer, and reads of the mapped file), and
            // neither a deferred write nor one in the interval mode commits here: no file channel
            // an interrupt could close, so no hand-off to a writer thread. The hand-off was most
            // of a write's time, and a request holds its admission slot meanwhile.
            done = locked(() -> mutation.apply(keyBytes), defer, false);
            if (done.seq() != 0 && !defer) {
                // the interval mode's disk fell behind: wait, where a commit may be led
                awaitDurable(done.seq(), Long.MAX_VALUE);
                done = new Applied<>(done.result(), 0);
            }
        } else {
            done = writers.call(() -> locked(() -> mutation.apply(keyBytes), defer, true));
        }
        if (done.seq() != 0) {
            pending.add(this, done.seq());
        }
        return done.result();
    }

    /**
     * What a change returned, and the number of its write when it is not yet durable and the caller
     * waits for that itself (0: it is durable, or may be acknowledged without waiting).
     */
    private record Applied<T>(T result, long seq) {}

    /**
     * Runs one complete change under the write lock, then waits until a commit covers it, unless
     * {@code defer} (the caller waits later, {@link PendingWrites}) or {@code kv.durability} is
     * {@code interval} and the oldest write not yet on disk is younger than two intervals. A change
     * that throws a limit exception has changed nothing; any other failure may have left memory and
     * disk apart, so the store stops taking writes and is opened again from its last commit.
     */
    private <T> Applied<T> locked(java.util.function.Supplier<T> change, boolean defer) {
        return locked(change, defer, true);
    }

    /**
     * @param mayCommit whether it runs on a writer thread, so it may wait for (and lead) a commit
     *     itself; if not, a write that must wait returns its number, as a deferred one does
     */
    private <T> Applied<T> locked(
            java.util.function.Supplier<T> change, boolean defer, boolean mayCommit) {
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            T result;
            long seq;
            boolean wait;
            writeLock.lock();
            try {
                result = change.get();
                seq = commits.lastApplied();
                if (!options.groupCommit()) {
                    // (only on a writer thread: write() keeps this mode there)
                    commits.commitHeld(seq);
                    wait = false;
                } else if (interval) {
                    // bounded loss: once the disk falls behind, writers wait for it
                    wait = commits.oldestPendingAge(System.nanoTime()) > maxPendingNanos;
                } else {
                    wait = true;
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
            if (!wait) {
                return new Applied<>(result, 0);
            }
            if (defer || !mayCommit) {
                return new Applied<>(result, seq);
            }
            commits.awaitDurable(seq);
            return new Applied<>(result, 0);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * {@link PendingWrites}: waits until a commit covers write seq, on the caller's thread; the
     * commit itself runs on a writer thread ({@link GroupCommit#awaitDurable(long, long,
     * java.util.concurrent.Executor)}).
     */
    @Override
    public void awaitDurable(long seq, long deadlineNanos) {
        if (commits.isDurable(seq)) {
            return;
        }
        lifecycle.readLock().lock();
        try {
            if (!commits.isDurable(seq)) {
                StoreClosed c = closed;
                if (c != null) {
                    // closing commits first, so this one failed or was deleted
                    throw KvUnavailableException.closed(id, c);
                }
                commits.awaitDurable(seq, deadlineNanos, writers);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Called by {@link BackgroundCommits} every {@code kv.syncInterval} ({@code interval}) or
     * {@link BackgroundCommits#CHECKPOINT_PERIOD}: commits what was applied since the last commit
     * ({@code interval}), and checkpoints the journal if its oldest writes are old enough. A
     * failure marks the store failed (its writers learn of it, and it is opened again on the next
     * operation).
     */
    void commitPending() {
        lifecycle.readLock().lock();
        try {
            if (closed != null || commits.failed()) {
                return;
            }
            if (interval) {
                commits.flush();
            }
            if (buffer.checkpointDue()
                    && !commits.exclusive(buffer::checkpoint)
                    && commits.failed()) {
                LOG.warn(
                        "checkpointing the KV store of deployment '{}' failed: {}",
                        id,
                        commits.failureMessage());
            }
        } catch (RuntimeException e) {
            LOG.warn("committing the KV store of deployment '{}' failed: {}", id, e.toString());
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Checks that the store can take the new entry, purging expired keys once if it cannot.
     *
     * @return the key's current entry (re-read if the purge removed it)
     */
    private StoredValue roomFor(String key, int keyBytes, StoredValue old, long length, long now) {
        long after = bytes - size(keyBytes, old) + keyBytes + length;
        if (after > limits.maxStoreSize() && purgeHeld(now) > 0) {
            old = buffer.get(key);
            after = bytes - size(keyBytes, old) + keyBytes + length;
        }
        limits.checkStore(id, after);
        return old;
    }

    private static long size(int keyBytes, StoredValue v) {
        return v == null ? 0 : keyBytes + v.data().length;
    }

    /** Accounts for replacing {@code old} by a value of {@code length} bytes (-1: removed). */
    private void track(String key, int keyBytes, StoredValue old, long expiresAt, long length) {
        // the expiry index in MapDB follows the value when it is committed (WriteBuffer)
        if (expiresAt != 0) {
            nextExpiry = Math.min(nextExpiry, expiresAt);
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
        long[] next = {Long.MAX_VALUE};
        List<String> dead = new ArrayList<>();
        for (String key : buffer.expiryCandidates(now, next)) {
            StoredValue old = buffer.get(key);
            if (old != null && old.expiredAt(now)) {
                buffer.remove(key);
                bytes -= size(KvLimits.keyBytes(key), old);
                keys--;
                dead.add(key);
            }
        }
        nextExpiry = next[0];
        if (!dead.isEmpty()) {
            commits.applied();
            purged.add(dead.size());
        }
        return dead.size();
    }

    // --- maintenance -------------------------------------------------------------------------

    @Override
    public int purgeExpired(long now) {
        return maintain(() -> purgeHeld(now));
    }

    @Override
    public void clear() {
        maintain(
                () -> {
                    List<String> all = new ArrayList<>();
                    buffer.forEach((k, v) -> all.add(k), Integer.MAX_VALUE);
                    for (String k : all) {
                        buffer.remove(k);
                    }
                    bytes = 0;
                    keys = 0;
                    nextExpiry = Long.MAX_VALUE;
                    commits.applied();
                    return 0;
                });
    }

    private int maintain(java.util.function.IntSupplier work) {
        return writers.call(() -> locked(work::getAsInt, false)).result();
    }

    @Override
    public List<String> keys(int limit, long now) {
        List<String> out = new ArrayList<>();
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            buffer.forEach(
                    (k, v) -> {
                        if (out.size() < limit && !v.expiredAt(now)) {
                            out.add(k);
                        }
                    },
                    Integer.MAX_VALUE);
        } finally {
            lifecycle.readLock().unlock();
        }
        return out;
    }

    @Override
    public long keyCount() {
        return keys;
    }

    @Override
    public long byteCount() {
        return bytes;
    }

    /** Checkpoints now, as the background does once the journal's writes are old enough. */
    void checkpoint() {
        writers.call(
                () -> {
                    commits.exclusive(buffer::checkpoint);
                    return null;
                });
    }

    /** Bytes of journal records no checkpoint took yet (tests). */
    long journalBytes() {
        return journal.size();
    }

    /** The journal's epoch: checkpoints over the store's life (tests). */
    long epoch() {
        return buffer.epoch();
    }

    @Override
    public long commitCount() {
        return commits.commits();
    }

    @Override
    public long purgedCount() {
        return purged.sum();
    }

    @Override
    public StoreClosed closedReason() {
        return closed;
    }

    /** Closes the file once in-flight operations are done; later operations fail with reason. */
    @Override
    public void close(StoreClosed reason) {
        lifecycle.writeLock().lock();
        try {
            if (closed != null) {
                return;
            }
            closed = reason;
            background.remove(this);
            try {
                if (reason == StoreClosed.CLOSED && !commits.failed()) {
                    // writes not waited for yet (deferred, or kv.durability=interval) are kept,
                    // and MapDB gets the journal's (or the next open replays it)
                    writers.call(
                            () -> {
                                commits.flush();
                                if (commits.exclusive(buffer::checkpoint)) {
                                    journal.truncate(); // a closed store keeps no old records
                                }
                                return null;
                            });
                }
            } catch (RuntimeException e) {
                LOG.warn(
                        "committing the KV store of deployment '{}' before closing it failed: {}",
                        id,
                        e.toString());
            }
            try {
                journal.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the journal of deployment '{}' failed: {}", id, e.toString());
            }
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
     * must be opened again from it ({@code KvStores} does, on the next operation).
     */
    @Override
    public boolean failed() {
        return commits.failed();
    }

    private void ensureOpen() {
        StoreClosed c = closed;
        if (c != null) {
            throw KvUnavailableException.closed(id, c);
        }
        // a failed store must not show the writes whose commit failed
        commits.checkNotFailed();
    }
}
