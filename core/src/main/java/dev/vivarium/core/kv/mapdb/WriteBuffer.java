package dev.vivarium.core.kv.mapdb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.mapdb.Atomic;
import org.mapdb.DB;
import org.mapdb.HTreeMap;

/**
 * A store's writes that are applied but not yet in MapDB, so that a commit can make them durable
 * while writers go on applying new ones (see {@link GroupCommit.Preparer}).
 *
 * <p>A write goes into {@link #fresh}, under the store's write lock. A commit takes {@code fresh}
 * as its batch under that lock (whole operations only) and starts a new one; then, without the
 * lock, it appends the batch to the store's {@link Journal} (one sync) and adds it to {@link
 * #journaled}. A <em>checkpoint</em> puts what is journaled into MapDB in one MapDB commit, with a
 * new journal epoch, and empties the journal: when the journal holds {@value #CHECKPOINT_BYTES}
 * bytes, when its oldest batch is old enough ({@link BackgroundCommits#CHECKPOINT_AGE}), and on
 * close. Reads look in {@code fresh}, the batch being committed, {@code journaled}, the batch being
 * checkpointed, then MapDB; a layer is let go only once the next one holds its writes, so a read
 * always finds the latest applied value. Only the committer writes to the journal and MapDB, one
 * commit or checkpoint at a time ({@link GroupCommit}); a removed key is a {@link #REMOVED} marker
 * until the checkpoint.
 */
final class WriteBuffer {
    /** A key removed (or cleared) since the last commit. */
    static final StoredValue REMOVED = new StoredValue(0, new byte[0]);

    /** Journal bytes after which a commit checkpoints. */
    static final long CHECKPOINT_BYTES = 1024 * 1024;

    private final DB db;
    private final HTreeMap<String, StoredValue> values;
    private final HTreeMap<String, Long> expiries;
    private final Atomic.Long epochVar;
    private final Journal journal;
    private final long checkpointNanos;
    private long epoch; // the committer's

    private volatile ConcurrentHashMap<String, StoredValue> fresh = new ConcurrentHashMap<>();
    private volatile Map<String, StoredValue> committing; // null when no commit runs
    private volatile ConcurrentHashMap<String, StoredValue> journaled = new ConcurrentHashMap<>();
    private volatile Map<String, StoredValue> checkpointing; // null when no checkpoint runs
    // nanoTime of the oldest journaled batch; written by the committer, read by the background
    private volatile long journaledSince;

    /**
     * Over an open database and its journal: replays the journal's batches of the current epoch
     * into MapDB and checkpoints them (a crash after their commits, before their checkpoint).
     */
    WriteBuffer(
            DB db,
            HTreeMap<String, StoredValue> values,
            HTreeMap<String, Long> expiries,
            Journal journal,
            long checkpointNanos) {
        this.checkpointNanos = checkpointNanos;
        this.db = db;
        this.values = values;
        this.expiries = expiries;
        this.journal = journal;
        this.epochVar = db.atomicLong("journal-epoch").createOrOpen();
        this.epoch = epochVar.get();
        List<Map<String, StoredValue>> replay = journal.read(epoch);
        for (Map<String, StoredValue> batch : replay) {
            apply(batch);
        }
        if (!replay.isEmpty()) {
            epochVar.set(++epoch);
            db.commit();
            journal.reset();
        }
    }

    /** The journal's epoch: checkpoints over the store's life (for tests). */
    long epoch() {
        return epoch;
    }

    /**
     * {@link #get}, with an array of its own the caller may change: MapDB deserializes every read
     * into a fresh array, a value still in front of it is copied.
     */
    StoredValue read(String key) {
        StoredValue v = inFront(key);
        if (v == null) {
            return values.get(key);
        }
        return v == REMOVED ? null : new StoredValue(v.expiresAt(), v.data().clone());
    }

    /** The latest applied value of {@code key}, or null if it has none (expired or not). */
    StoredValue get(String key) {
        StoredValue v = inFront(key);
        if (v == null) {
            return values.get(key);
        }
        return v == REMOVED ? null : v;
    }

    /** The key's value in the layers in front of MapDB ({@link #REMOVED} included), or null. */
    private StoredValue inFront(String key) {
        StoredValue v = fresh.get(key);
        if (v != null) {
            return v;
        }
        // each layer read after the one above it: see prepare() and checkpoint()
        Map<String, StoredValue> c = committing;
        if (c != null && (v = c.get(key)) != null) {
            return v;
        }
        if ((v = journaled.get(key)) != null) {
            return v;
        }
        c = checkpointing;
        return c == null ? null : c.get(key);
    }

    /** Sets {@code key}; call under the write lock. */
    void put(String key, StoredValue value) {
        fresh.put(key, value);
    }

    /** Removes {@code key}; call under the write lock. */
    void remove(String key) {
        fresh.put(key, REMOVED);
    }

    /**
     * Every key with a value, and the value, the latest first: each key once, removed ones left out
     * (expired ones are not).
     */
    void forEach(BiConsumer<String, StoredValue> action, int limit) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        int[] left = {limit};
        BiConsumer<String, StoredValue> once =
                (k, ignored) -> {
                    if (left[0] > 0 && seen.add(k)) {
                        StoredValue v = get(k);
                        if (v != null) {
                            left[0]--;
                            action.accept(k, v);
                        }
                    }
                };
        for (Map<String, StoredValue> layer : layers()) {
            layer.forEach(once);
        }
        for (Map.Entry<String, StoredValue> e : values.getEntries()) {
            if (left[0] <= 0) {
                break;
            }
            once.accept(e.getKey(), e.getValue());
        }
    }

    /**
     * The keys that may have expired by {@code now}: those MapDB's expiry index lists and those
     * written since the last commit with an expiry (each to be checked with {@link #get}).
     */
    List<String> expiryCandidates(long now, long[] nextOut) {
        List<String> out = new ArrayList<>();
        long next = Long.MAX_VALUE;
        for (Map.Entry<String, Long> e : expiries.getEntries()) {
            if (e.getValue() <= now) {
                out.add(e.getKey());
            } else {
                next = Math.min(next, e.getValue());
            }
        }
        for (Map<String, StoredValue> m : layers()) {
            for (Map.Entry<String, StoredValue> e : m.entrySet()) {
                long at = e.getValue().expiresAt();
                if (at != 0 && at <= now) {
                    out.add(e.getKey());
                } else if (at != 0) {
                    next = Math.min(next, at);
                }
            }
        }
        nextOut[0] = next;
        return out;
    }

    /** The layers in front of MapDB, the latest first. */
    private List<Map<String, StoredValue>> layers() {
        List<Map<String, StoredValue>> out = new ArrayList<>(4);
        out.add(fresh);
        Map<String, StoredValue> c = committing;
        if (c != null) {
            out.add(c);
        }
        out.add(journaled);
        c = checkpointing;
        if (c != null) {
            out.add(c);
        }
        return out;
    }

    /**
     * Takes what was applied as the next commit's batch; call under the write lock. The work it
     * returns appends the batch to the journal, without the lock, and checkpoints if one is due.
     *
     * @see AfterCommit
     */
    Runnable prepare() {
        Map<String, StoredValue> batch = fresh;
        // committing before fresh: a reader that finds the new, empty fresh finds the batch
        committing = batch;
        fresh = new ConcurrentHashMap<>();
        return () -> {
            if (!batch.isEmpty()) {
                journal.append(epoch, batch);
                if (journaled.isEmpty()) {
                    journaledSince = System.nanoTime();
                }
                journaled.putAll(batch);
            }
            // only now: journaled holds the batch for readers
            committing = null;
            if (checkpointDue()) {
                try {
                    checkpoint();
                } catch (RuntimeException e) {
                    throw new AfterCommit(e);
                }
            }
        };
    }

    /**
     * Thrown by a commit whose batch is in the journal (durable) but whose checkpoint failed: MapDB
     * may hold part of it in memory, so the store must be opened again (the journal replays it).
     */
    static final class AfterCommit extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AfterCommit(RuntimeException cause) {
            super(cause.toString(), cause);
        }
    }

    /** Whether the journal should be checkpointed now; the committer's. */
    boolean checkpointDue() {
        return journal.size() >= CHECKPOINT_BYTES
                || (!journaled.isEmpty() && System.nanoTime() - journaledSince >= checkpointNanos);
    }

    /**
     * Puts everything journaled into MapDB with the next epoch in one MapDB commit, then empties
     * the journal; only while no commit runs ({@link GroupCommit#exclusive}). A crash before the
     * MapDB commit replays the journal on open; after it, the journal's records are of an older
     * epoch and ignored.
     */
    void checkpoint() {
        Map<String, StoredValue> batch = journaled;
        if (batch.isEmpty() && journal.size() == 0) {
            return;
        }
        // checkpointing before journaled: a reader that finds the new, empty one finds the batch
        checkpointing = batch;
        journaled = new ConcurrentHashMap<>();
        apply(batch);
        epochVar.set(epoch + 1);
        db.commit();
        epoch++;
        // only now: MapDB holds the batch for readers
        checkpointing = null;
        journal.reset();
    }

    private void apply(Map<String, StoredValue> batch) {
        for (Map.Entry<String, StoredValue> e : batch.entrySet()) {
            String key = e.getKey();
            StoredValue v = e.getValue();
            if (v == REMOVED) {
                values.remove(key);
                expiries.remove(key);
            } else {
                values.put(key, v);
                if (v.expiresAt() != 0) {
                    expiries.put(key, v.expiresAt());
                } else {
                    expiries.remove(key);
                }
            }
        }
    }
}
