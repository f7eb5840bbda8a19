package dev.vivarium.kv.postgresql;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.vivarium.core.kv.KvBackendStore;
import dev.vivarium.core.kv.KvLimits;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.kv.StoreClosed;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * One deployment's store in the shared tables; each operation is one transaction of a few
 * statements (see {@link Sql}). Nothing about the data is kept in this object except the last
 * totals read, for the meters while the database is unreachable: every node sees every other node's
 * writes at once.
 */
final class PostgresKvStore implements KvBackendStore {
    private final String id;
    private final DataSource ds;
    private final Failures failures;
    private final KvLimits limits;
    private final LongAdder commits = new LongAdder();
    private final LongAdder purged = new LongAdder();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile StoreClosed closed;
    private volatile long lastKeys;
    private volatile long lastBytes;

    PostgresKvStore(PostgresBackend backend, String id) {
        this.id = id;
        this.ds = backend.pool();
        this.failures = backend.failures();
        this.limits = backend.options().limits();
    }

    /** The store's row totals as locked, and what this write changes. */
    private static final class Totals {
        long keys;
        long bytes;
        int purgedKeys;
    }

    // --- writes -----------------------------------------------------------------------------

    @Override
    public boolean put(String key, byte[] value, long expiresAt, boolean onlyIfAbsent, long now) {
        Objects.requireNonNull(value, "value");
        byte[] k = utf8(key);
        return guarded(
                () -> {
                    if (onlyIfAbsent && value.length > limits.maxValueSize()) {
                        // only an upsert that would write can break the limit
                        if (liveLength(k, now) != null) {
                            return false;
                        }
                        limits.checkValue(value.length, false);
                    }
                    return write(
                            c -> {
                                Totals t = lock(c);
                                try (PreparedStatement p =
                                        c.prepareStatement(onlyIfAbsent ? Sql.UPSERT : Sql.PUT)) {
                                    p.setString(1, id);
                                    p.setBytes(2, k);
                                    p.setString(3, id);
                                    p.setBytes(4, k);
                                    p.setBytes(5, value);
                                    p.setLong(6, expiresAt);
                                    p.setLong(7, now);
                                    try (ResultSet r = p.executeQuery()) {
                                        r.next();
                                        long version = r.getLong(1);
                                        if (r.wasNull()) {
                                            c.rollback(); // a live key: the upsert wrote nothing
                                            return false;
                                        }
                                        long old = r.getLong(2);
                                        boolean existed = !r.wasNull();
                                        long delta =
                                                k.length
                                                        + value.length
                                                        - (existed ? k.length + old : 0);
                                        account(c, t, existed ? 0 : 1, delta, now);
                                        return version == 1;
                                    }
                                }
                            });
                });
    }

    @Override
    public boolean append(String key, byte[] value, long now) {
        Objects.requireNonNull(value, "value");
        byte[] k = utf8(key);
        return guarded(
                () -> {
                    if (value.length > limits.maxValueSize()) {
                        Integer live = liveLength(k, now);
                        limits.checkValue(
                                live == null ? value.length : (long) live + value.length,
                                live != null);
                    }
                    return write(
                            c -> {
                                Totals t = lock(c);
                                try (PreparedStatement p = c.prepareStatement(Sql.APPEND)) {
                                    p.setString(1, id);
                                    p.setBytes(2, k);
                                    p.setString(3, id);
                                    p.setBytes(4, k);
                                    p.setBytes(5, value);
                                    for (int i = 6; i <= 9; i++) {
                                        p.setLong(i, now);
                                    }
                                    p.setLong(10, limits.maxValueSize());
                                    try (ResultSet r = p.executeQuery()) {
                                        r.next();
                                        long version = r.getLong(1);
                                        boolean refused = r.wasNull();
                                        long length = r.getLong(2);
                                        long old = r.getLong(3);
                                        boolean existed = !r.wasNull();
                                        if (refused) {
                                            // the WHERE refused it: a live value grown too long
                                            limits.checkValue(old + value.length, true);
                                            throw new IllegalStateException(
                                                    "append refused below kv.maxValueSize");
                                        }
                                        long delta = length - (existed ? old : -k.length);
                                        account(c, t, existed ? 0 : 1, delta, now);
                                        return version == 1;
                                    }
                                }
                            });
                });
    }

    @Override
    public boolean remove(String key, long now) {
        byte[] k = utf8(key);
        return guarded(
                () ->
                        write(
                                c -> {
                                    Totals t = lock(c);
                                    try (PreparedStatement p = c.prepareStatement(Sql.REMOVE)) {
                                        p.setString(1, id);
                                        p.setBytes(2, k);
                                        try (ResultSet r = p.executeQuery()) {
                                            if (!r.next()) {
                                                c.rollback();
                                                return false;
                                            }
                                            long old = r.getLong(1);
                                            long expiresAt = r.getLong(2);
                                            add(c, t, -1, -(k.length + old));
                                            return expiresAt == 0 || expiresAt > now;
                                        }
                                    }
                                }));
    }

    /**
     * Takes the store row's lock (first, always) and reads its totals; recreates the row if another
     * node deleted the store.
     */
    private Totals lock(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(Sql.LOCK_STORE)) {
            p.setString(1, id);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                Totals t = new Totals();
                t.keys = r.getLong(1);
                t.bytes = r.getLong(2);
                return t;
            }
        }
    }

    /**
     * Checks {@code kv.maxStoreSize} for a write that changes the totals by {@code keys} and {@code
     * bytes}, purging the store's expired keys once (in the same transaction) if it would break,
     * then records the totals. Throws the limit, which rolls the write back.
     */
    private void account(Connection c, Totals t, long keys, long bytes, long now)
            throws SQLException {
        long after = t.bytes + bytes;
        if (after > limits.maxStoreSize()) {
            long[] freed = purge(c, now);
            t.purgedKeys = (int) freed[0];
            keys -= freed[0];
            bytes -= freed[1];
            after -= freed[1];
        }
        limits.checkStore(id, after);
        add(c, t, keys, bytes);
    }

    private void add(Connection c, Totals t, long keys, long bytes) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(Sql.ADD_TOTALS)) {
            p.setLong(1, keys);
            p.setLong(2, bytes);
            p.setString(3, id);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                t.keys = r.getLong(1);
                t.bytes = r.getLong(2);
            }
        }
        pending.set(t);
    }

    /** The totals of the transaction running on this thread, published once it commits. */
    private final ThreadLocal<Totals> pending = new ThreadLocal<>();

    /** Runs one write transaction and counts its commit. */
    private boolean write(Tx.Work<Boolean> work) {
        pending.remove();
        try {
            boolean result = Tx.run(ds, failures, id, work);
            Totals t = pending.get();
            if (t != null) {
                commits.increment();
                purged.add(t.purgedKeys);
                lastKeys = t.keys;
                lastBytes = t.bytes;
            }
            return result;
        } finally {
            pending.remove();
        }
    }

    /** [freed keys, freed bytes]; call holding the store lock. */
    private long[] purge(Connection c, long now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(Sql.PURGE)) {
            p.setString(1, id);
            p.setLong(2, now);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return new long[] {r.getLong(1), r.getLong(2)};
            }
        }
    }

    // --- reads ----------------------------------------------------------------------------------

    @Override
    public byte[] get(String key, long now) {
        byte[] k = utf8(key);
        return guarded(
                () ->
                        Tx.read(
                                ds,
                                failures,
                                id,
                                c -> {
                                    try (PreparedStatement p = c.prepareStatement(Sql.GET)) {
                                        p.setString(1, id);
                                        p.setBytes(2, k);
                                        p.setLong(3, now);
                                        try (ResultSet r = p.executeQuery()) {
                                            return r.next() ? r.getBytes(1) : null;
                                        }
                                    }
                                }));
    }

    private Integer liveLength(byte[] k, long now) {
        return Tx.read(
                ds,
                failures,
                id,
                c -> {
                    try (PreparedStatement p = c.prepareStatement(Sql.LIVE_LENGTH)) {
                        p.setString(1, id);
                        p.setBytes(2, k);
                        p.setLong(3, now);
                        try (ResultSet r = p.executeQuery()) {
                            return r.next() ? r.getInt(1) : null;
                        }
                    }
                });
    }

    @Override
    public List<String> keys(int limit, long now) {
        return guarded(
                () ->
                        Tx.read(
                                ds,
                                failures,
                                id,
                                c -> {
                                    try (PreparedStatement p = c.prepareStatement(Sql.KEYS)) {
                                        p.setString(1, id);
                                        p.setLong(2, now);
                                        p.setInt(3, limit);
                                        List<String> out = new ArrayList<>();
                                        try (ResultSet r = p.executeQuery()) {
                                            while (r.next()) {
                                                out.add(new String(r.getBytes(1), UTF_8));
                                            }
                                        }
                                        return out;
                                    }
                                }));
    }

    // --- maintenance ----------------------------------------------------------------------------

    @Override
    public int purgeExpired(long now) {
        return guarded(
                () -> {
                    boolean any =
                            Tx.read(
                                    ds,
                                    failures,
                                    id,
                                    c -> {
                                        try (PreparedStatement p =
                                                c.prepareStatement(Sql.ANY_EXPIRED)) {
                                            p.setString(1, id);
                                            p.setLong(2, now);
                                            try (ResultSet r = p.executeQuery()) {
                                                r.next();
                                                return r.getBoolean(1);
                                            }
                                        }
                                    });
                    if (!any) {
                        return 0;
                    }
                    int[] n = {0};
                    write(
                            c -> {
                                Totals t = lock(c);
                                long[] freed = purge(c, now);
                                n[0] = (int) freed[0];
                                t.purgedKeys = n[0];
                                add(c, t, -freed[0], -freed[1]);
                                return true;
                            });
                    return n[0];
                });
    }

    @Override
    public void clear() {
        guarded(
                () ->
                        write(
                                c -> {
                                    Totals t = lock(c);
                                    try (PreparedStatement d =
                                                    c.prepareStatement(Sql.DELETE_ENTRIES);
                                            PreparedStatement z =
                                                    c.prepareStatement(Sql.ZERO_TOTALS)) {
                                        d.setString(1, id);
                                        d.executeUpdate();
                                        z.setString(1, id);
                                        z.executeUpdate();
                                    }
                                    t.keys = 0;
                                    t.bytes = 0;
                                    pending.set(t);
                                    return true;
                                }));
    }

    // --- meters ---------------------------------------------------------------------------------

    /** Reads the totals; the last ones known if the database cannot be reached (meters read it). */
    private void refreshTotals() {
        if (closed != null) {
            return;
        }
        try (Connection c = ds.getConnection();
                PreparedStatement p = c.prepareStatement(Sql.TOTALS)) {
            p.setString(1, id);
            try (ResultSet r = p.executeQuery()) {
                if (r.next()) {
                    lastKeys = r.getLong(1);
                    lastBytes = r.getLong(2);
                } else {
                    lastKeys = 0;
                    lastBytes = 0;
                }
            }
        } catch (SQLException e) {
            // keep the last totals known
        }
    }

    @Override
    public long keyCount() {
        refreshTotals();
        return lastKeys;
    }

    @Override
    public long byteCount() {
        refreshTotals();
        return lastBytes;
    }

    @Override
    public long commitCount() {
        return commits.sum();
    }

    @Override
    public long purgedCount() {
        return purged.sum();
    }

    /** Never: the pool replaces broken connections by itself. */
    @Override
    public boolean failed() {
        return false;
    }

    @Override
    public void close(StoreClosed reason) {
        lifecycle.writeLock().lock();
        try {
            if (closed == null) {
                closed = Objects.requireNonNull(reason, "reason");
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public StoreClosed closedReason() {
        return closed;
    }

    // --- helpers --------------------------------------------------------------------------------

    /** Runs an operation unless the store is closed; close waits for the ones inside. */
    private <T> T guarded(Supplier<T> op) {
        lifecycle.readLock().lock();
        try {
            StoreClosed c = closed;
            if (c != null) {
                throw KvUnavailableException.closed(id, c);
            }
            return op.get();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private static byte[] utf8(String key) {
        return Objects.requireNonNull(key, "key").getBytes(UTF_8);
    }

    @Override
    public String toString() {
        return "PostgresKvStore[" + id + "]";
    }
}
