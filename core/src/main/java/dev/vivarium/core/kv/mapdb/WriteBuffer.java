package dev.vivarium.core.kv.mapdb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.mapdb.DB;
import org.mapdb.HTreeMap;

/**
 * A store's writes that are applied but not yet in MapDB, so that a commit can write them to disk
 * while writers go on applying new ones (see {@link GroupCommit.Preparer}).
 *
 * <p>A write goes into {@link #fresh}, under the store's write lock. A commit takes {@code fresh}
 * as its batch under that lock (whole operations only) and starts a new one; then, without the
 * lock, it puts the batch into MapDB and commits it (MapDB's write-ahead log, synced). Reads look
 * in {@code fresh}, then in the batch being committed, then in MapDB; a batch is forgotten only
 * once MapDB holds it, so a read always finds the latest applied value. Only the committer writes
 * to MapDB; a removed key is a {@link #REMOVED} marker until then.
 */
final class WriteBuffer {
    /** A key removed (or cleared) since the last commit. */
    static final StoredValue REMOVED = new StoredValue(0, new byte[0]);

    private final DB db;
    private final HTreeMap<String, StoredValue> values;
    private final HTreeMap<String, Long> expiries;
    private volatile ConcurrentHashMap<String, StoredValue> fresh = new ConcurrentHashMap<>();
    private volatile Map<String, StoredValue> committing; // null when no commit runs

    WriteBuffer(DB db, HTreeMap<String, StoredValue> values, HTreeMap<String, Long> expiries) {
        this.db = db;
        this.values = values;
        this.expiries = expiries;
    }

    /** The latest applied value of {@code key}, or null if it has none (expired or not). */
    StoredValue get(String key) {
        StoredValue v = fresh.get(key);
        if (v == null) {
            Map<String, StoredValue> c = committing; // read after fresh: see prepare()
            if (c != null) {
                v = c.get(key);
            }
            if (v == null) {
                v = values.get(key);
            }
        }
        return v == REMOVED ? null : v;
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
        fresh.forEach(once);
        Map<String, StoredValue> c = committing;
        if (c != null) {
            c.forEach(once);
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
        for (Map<String, StoredValue> m : List.of(fresh, committingOrEmpty())) {
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

    private Map<String, StoredValue> committingOrEmpty() {
        Map<String, StoredValue> c = committing;
        return c == null ? Map.of() : c;
    }

    /**
     * Takes what was applied as the next commit's batch; call under the write lock. The work it
     * returns puts the batch into MapDB and commits it, without the lock.
     */
    Runnable prepare() {
        Map<String, StoredValue> batch = fresh;
        // committing before fresh: a reader that finds the new, empty fresh finds the batch
        committing = batch;
        fresh = new ConcurrentHashMap<>();
        return () -> {
            try {
                apply(batch);
            } catch (RuntimeException e) {
                // MapDB replays only committed log records: nothing of the batch is on disk
                throw new GroupCommit.NotWritten(e);
            }
            db.commit();
            // only now: MapDB holds the batch for readers
            committing = null;
        };
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
