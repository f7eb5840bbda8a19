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
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * One deployment's store in the shared tables: each operation is one statement committed on its own
 * (see {@link Sql}), so one round trip and, for a write, one commit. Nothing about the data is kept
 * in this object except the last totals read, for the meters while the database is unreachable:
 * every node sees every other node's writes at once.
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

    /** One write statement: binds its parameters after deployment and key. */
    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement p) throws SQLException;
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
                    Long version =
                            write(
                                    onlyIfAbsent ? Sql.UPSERT : Sql.PUT,
                                    k,
                                    now,
                                    p -> {
                                        p.setBytes(3, value);
                                        p.setLong(4, expiresAt);
                                        p.setLong(5, now);
                                    });
                    // no row: an upsert of a live key, which wrote nothing
                    return version != null && version == 1;
                });
    }

    @Override
    public boolean append(String key, byte[] value, long now) {
        Objects.requireNonNull(value, "value");
        byte[] k = utf8(key);
        return guarded(
                () -> {
                    if (value.length > limits.maxValueSize()) {
                        refuseAppend(k, value, now);
                    }
                    Long version =
                            write(
                                    Sql.APPEND,
                                    k,
                                    now,
                                    p -> {
                                        p.setBytes(3, value);
                                        p.setLong(4, 0);
                                        for (int i = 5; i <= 8; i++) {
                                            p.setLong(i, now);
                                        }
                                        p.setLong(9, limits.maxValueSize());
                                    });
                    if (version == null) {
                        // the statement's WHERE refused it: a live value grown too long
                        refuseAppend(k, value, now);
                    }
                    return version == 1;
                });
    }

    /** Throws the value limit for an append, with the size it would grow to. */
    private void refuseAppend(byte[] k, byte[] value, long now) {
        Integer live = liveLength(k, now);
        long length = live == null ? value.length : (long) live + value.length;
        limits.checkValue(length, live != null);
        // the value shrank or went meanwhile: the append did not run, so it cannot be refused
        throw new KvUnavailableException(
                "the KV store of deployment '"
                        + id
                        + "' refused an append the value limit allows; try again");
    }

    @Override
    public boolean remove(String key, long now) {
        byte[] k = utf8(key);
        return guarded(
                () -> {
                    Long expiresAt = write(Sql.REMOVE, k, now, p -> {});
                    return expiresAt != null && (expiresAt == 0 || expiresAt > now);
                });
    }

    /**
     * Runs one write statement on (deployment, key) and returns its one returned number, or null if
     * it returned no row. A write that would break kv.maxStoreSize (the trigger's {@link
     * Schema#STORE_FULL}) has changed nothing: the store's expired keys are purged once and the
     * write tried again, and if it would still break the limit it is refused.
     */
    private Long write(String sql, byte[] k, long now, Binder binder) {
        for (int attempt = 0; ; attempt++) {
            try (Connection c = ds.getConnection();
                    PreparedStatement p = c.prepareStatement(sql)) {
                p.setString(1, id);
                p.setBytes(2, k);
                binder.bind(p);
                try (ResultSet r = p.executeQuery()) {
                    commits.increment();
                    return r.next() ? r.getLong(1) : null;
                }
            } catch (SQLException e) {
                long total = storeFullTotal(e);
                if (total < 0) {
                    throw failures.of(id, e);
                }
                if (attempt > 0 || purgeExpired(now) == 0) {
                    limits.checkStore(id, total);
                    throw failures.of(id, e); // not over this node's limit: another node's
                }
            }
        }
    }

    /** The total a refused write would have left, or -1 if {@code e} is another failure. */
    private static long storeFullTotal(SQLException e) {
        if (!Schema.STORE_FULL.equals(e.getSQLState()) || !(e instanceof PSQLException pe)) {
            return -1;
        }
        ServerErrorMessage m = pe.getServerErrorMessage();
        try {
            return m == null ? -1 : Long.parseLong(m.getDetail());
        } catch (NumberFormatException bad) {
            return -1;
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

    /** One {@code DELETE} through the expiry index; the trigger takes the keys off the totals. */
    @Override
    public int purgeExpired(long now) {
        return guarded(
                () -> {
                    int n =
                            Tx.read(
                                    ds,
                                    failures,
                                    id,
                                    c -> {
                                        try (PreparedStatement p = c.prepareStatement(Sql.PURGE)) {
                                            p.setString(1, id);
                                            p.setLong(2, now);
                                            return p.executeUpdate();
                                        }
                                    });
                    purged.add(n);
                    return n;
                });
    }

    @Override
    public void clear() {
        guarded(
                () ->
                        Tx.read(
                                ds,
                                failures,
                                id,
                                c -> {
                                    try (PreparedStatement p =
                                            c.prepareStatement(Sql.DELETE_ENTRIES)) {
                                        p.setString(1, id);
                                        return p.executeUpdate();
                                    }
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

    /** Write statements that committed (each is its own transaction). */
    @Override
    public long commitCount() {
        return commits.sum();
    }

    @Override
    public long purgedCount() {
        return purged.sum();
    }

    /** Counts keys of this store the cluster's expiry pass deleted. */
    void countPurged(long n) {
        purged.add(n);
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
