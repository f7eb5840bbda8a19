package dev.vivarium.kv.postgresql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvBackend;
import dev.vivarium.core.kv.KvBackendContext;
import dev.vivarium.core.kv.KvBackendProvider;
import dev.vivarium.core.kv.KvBackendStore;
import dev.vivarium.core.kv.KvHealth;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvUnavailableException;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.naming.InitialContext;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared backend ({@code kv.backend=postgresql}): every deployment's store in one PostgreSQL
 * database, so that several nodes behind a load balancer see the same keys. See {@code
 * docs/several-nodes.md}.
 *
 * <p>Each node keeps a HikariCP pool of at most {@code kv.jdbc.poolSize} connections, to {@code
 * kv.jdbc.url} or over the JNDI {@code DataSource} {@code kv.jdbc.dataSource}. Every connection
 * runs with {@code synchronous_commit = on} (a write is acknowledged once its commit is flushed on
 * the server) and {@code statement_timeout} and {@code lock_timeout} of {@code kv.jdbc.timeout}; a
 * connection is waited for at most as long, so a database that is down fails operations quickly
 * with {@link KvUnavailableException} (the request gets a 503) and the pool reconnects by itself
 * when it is back. The schema ({@link Schema}) is created or migrated when the backend opens.
 */
public final class PostgresBackend implements KvBackend {
    /** The {@code kv.backend} value. */
    public static final String NAME = "postgresql";

    private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** PostgreSQL holds at most 1 GB in one {@code bytea} value. */
    static final long MAX_VALUE_SIZE = (1L << 30) - (1L << 20);

    private final PgSettings settings;
    private final KvOptions options;
    private final HikariDataSource pool;
    private final Failures failures;

    private PostgresBackend(PgSettings settings, KvOptions options, HikariDataSource pool) {
        this.settings = settings;
        this.options = options;
        this.pool = pool;
        this.failures = new Failures(settings);
    }

    /** Found by {@link dev.vivarium.core.kv.KvBackends} through {@code META-INF/services}. */
    public static final class Provider implements KvBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public List<String> settings() {
            return PgSettings.NAMES;
        }

        @Override
        public KvBackend open(KvBackendContext context) {
            return PostgresBackend.open(context.options(), context.registry());
        }
    }

    /**
     * Connects, checks the server version and creates or migrates the schema.
     *
     * @throws ConfigurationException if a {@code kv.jdbc.*} setting is wrong, or {@code
     *     kv.maxValueSize} is larger than PostgreSQL can hold
     * @throws KvUnavailableException if the database cannot be reached, is too old, or has a schema
     *     newer than this code; the message names the database (no password) and what to check
     */
    public static PostgresBackend open(KvOptions options, MeterRegistry registry) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(registry, "registry");
        PgSettings settings = PgSettings.parse(options.backendSettings());
        if (options.maxValueSize() > MAX_VALUE_SIZE) {
            throw new ConfigurationException(
                    "Vivarium setting 'kv.maxValueSize': "
                            + options.maxValueSize()
                            + " bytes is more than kv.backend=postgresql can hold in one value (at"
                            + " most "
                            + MAX_VALUE_SIZE
                            + " bytes)");
        }
        HikariDataSource pool = new HikariDataSource(config(settings, options, registry));
        try {
            try (Connection c = pool.getConnection()) {
                Schema.migrate(c, settings.where());
                warnIfNotDurable(c, settings);
            }
            LOG.info("KV backend postgresql: {}", settings);
            return new PostgresBackend(settings, options, pool);
        } catch (SQLException e) {
            pool.close();
            throw new KvUnavailableException(
                    "the KV backend 'postgresql' cannot use its database: "
                            + new Failures(settings).why(e)
                            + ". Check that PostgreSQL runs and accepts connections there, that "
                            + (settings.url() != null
                                    ? "kv.jdbc.url, kv.jdbc.user and kv.jdbc.password are right"
                                    : "the DataSource's URL, user and password are right")
                            + ", and that the server lets this host in (pg_hba.conf)",
                    e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private static HikariConfig config(PgSettings s, KvOptions options, MeterRegistry registry) {
        HikariConfig c = new HikariConfig();
        long timeout = s.timeout().toMillis();
        if (s.url() != null) {
            c.setDriverClassName("org.postgresql.Driver");
            c.setJdbcUrl(s.url());
            if (s.user() != null) {
                c.setUsername(s.user());
            }
            if (s.password() != null) {
                c.setPassword(s.password());
            }
            // strings: the driver reads its properties with Properties.getProperty
            String seconds = String.valueOf(Math.max(1, (timeout + 999) / 1000));
            c.addDataSourceProperty("connectTimeout", seconds);
            c.addDataSourceProperty("loginTimeout", seconds);
            // a last resort for a server that stopped answering at all (statement_timeout is
            // the server's own): a little longer, so that a slow statement fails the normal way
            c.addDataSourceProperty(
                    "socketTimeout", String.valueOf(Math.max(1, (timeout + 999) / 1000) + 2));
            c.addDataSourceProperty("tcpKeepAlive", "true");
            c.addDataSourceProperty("ApplicationName", "vivarium-kv");
        } else {
            c.setDataSource(lookup(s.dataSource()));
        }
        c.setPoolName("vivarium-kv-" + POOLS.incrementAndGet());
        c.setMaximumPoolSize(s.poolSize());
        c.setMinimumIdle(Math.min(2, s.poolSize()));
        c.setConnectionTimeout(timeout);
        c.setValidationTimeout(Math.max(250, timeout / 2));
        // connect on first use; open() then reports the driver's reason if it cannot
        c.setInitializationFailTimeout(-1);
        c.setConnectionInitSql(
                "SET synchronous_commit = on; SET statement_timeout = "
                        + timeout
                        + "; SET lock_timeout = "
                        + timeout
                        + "; SET idle_in_transaction_session_timeout = "
                        + Math.max(10_000, 4 * timeout)
                        // read by the totals trigger (Schema.TOTALS_FUNCTION)
                        + "; SET vivarium.kv_max_store_size = "
                        + options.maxStoreSize());
        c.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
        return c;
    }

    /**
     * The {@code DataSource} bound at {@code name}, as Jetty's {@code session-store-jdbc} finds
     * one: the name as given, else under {@code java:comp/env/}.
     */
    static DataSource lookup(String name) {
        Object found;
        try {
            InitialContext ic = new InitialContext();
            try {
                found = ic.lookup(name);
            } catch (NameNotFoundException e) {
                if (name.startsWith("java:")) {
                    throw e;
                }
                found = ic.lookup("java:comp/env/" + name);
            }
        } catch (NamingException e) {
            throw new ConfigurationException(
                    "Vivarium setting '"
                            + PgSettings.DATA_SOURCE
                            + "': no DataSource named '"
                            + name
                            + "' in JNDI ("
                            + e
                            + "); bind one (e.g. a org.postgresql.ds.PGSimpleDataSource in"
                            + " jetty-env.xml) or set kv.jdbc.url instead",
                    e);
        }
        if (!(found instanceof DataSource ds)) {
            throw new ConfigurationException(
                    "Vivarium setting '"
                            + PgSettings.DATA_SOURCE
                            + "': JNDI name '"
                            + name
                            + "' is bound to a "
                            + (found == null ? "null" : found.getClass().getName())
                            + ", not a javax.sql.DataSource");
        }
        return ds;
    }

    private static void warnIfNotDurable(Connection c, PgSettings s) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet r = st.executeQuery("SHOW fsync")) {
            if (r.next() && "off".equalsIgnoreCase(r.getString(1))) {
                LOG.warn(
                        "the KV database at {} runs with fsync=off: a write acknowledged to a"
                                + " guest is lost if the database host crashes",
                        s.where());
            }
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    DataSource pool() {
        return pool;
    }

    Failures failures() {
        return failures;
    }

    KvOptions options() {
        return options;
    }

    /**
     * Creates the store, or brings back a deleted one's tombstone as an empty store (the keys a
     * late write left in it go first), in one transaction.
     */
    @Override
    public KvBackendStore open(String deploymentId) {
        checkId(deploymentId);
        Tx.run(
                pool,
                failures,
                deploymentId,
                c -> {
                    try (PreparedStatement clear = c.prepareStatement(Sql.CLEAR_TOMBSTONE);
                            PreparedStatement create = c.prepareStatement(Sql.CREATE_STORE)) {
                        clear.setString(1, deploymentId);
                        clear.executeUpdate();
                        create.setString(1, deploymentId);
                        create.executeUpdate();
                    }
                    return null;
                });
        PostgresKvStore store = new PostgresKvStore(this, deploymentId);
        opened.put(deploymentId, store);
        return store;
    }

    /** The store object last opened per deployment, for the expiry pass's counts. */
    private final Map<String, PostgresKvStore> opened = new ConcurrentHashMap<>();

    /** PostgreSQL text cannot hold U+0000. */
    private static void checkId(String deploymentId) {
        if (deploymentId.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                    "a deployment id for kv.backend=postgresql must not contain U+0000");
        }
    }

    @Override
    public boolean exists(String deploymentId) {
        if (deploymentId.indexOf('\0') >= 0) {
            return false;
        }
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement(Sql.STORE_EXISTS)) {
            p.setString(1, deploymentId);
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        } catch (SQLException e) {
            throw failures.of(deploymentId, e);
        }
    }

    @Override
    public List<String> list() {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement(Sql.LIST_STORES);
                ResultSet r = p.executeQuery()) {
            List<String> ids = new ArrayList<>();
            while (r.next()) {
                ids.add(r.getString(1));
            }
            return ids;
        } catch (SQLException e) {
            throw failures.of(e);
        }
    }

    /**
     * Deletes the entries, turns the store row into a tombstone, and deletes the entries again, in
     * one transaction: a key another node wrote meanwhile, committed after the first delete's
     * snapshot, goes with the second; one committed later (a request another node was still
     * running) counts itself in the tombstone (its trigger waits for this transaction), and the
     * next expiry pass of any node deletes it ({@link #expireShared}).
     */
    @Override
    public void delete(String deploymentId) {
        if (deploymentId.indexOf('\0') >= 0) {
            return;
        }
        Tx.run(
                pool,
                failures,
                deploymentId,
                c -> {
                    deleteStore(c, deploymentId);
                    return null;
                });
    }

    private static long deleteStore(Connection c, String deploymentId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(Sql.DELETE_STORE);
                PreparedStatement e = c.prepareStatement(Sql.DELETE_ENTRIES)) {
            e.setString(1, deploymentId);
            long n = e.executeUpdate();
            s.setString(1, deploymentId);
            s.executeUpdate();
            return n + e.executeUpdate();
        }
    }

    /** Expired keys deleted per statement of the expiry pass (each statement commits alone). */
    static final int PURGE_BATCH = 5_000;

    /** How long a deleted store's tombstone is kept: longer than any request still writing. */
    static final long TOMBSTONE_AGE_MS = 24 * 60 * 60 * 1000L;

    private final java.util.concurrent.atomic.LongAdder passes =
            new java.util.concurrent.atomic.LongAdder();

    /** Every node keeps its stores in the one database. */
    @Override
    public boolean shared() {
        return true;
    }

    /**
     * The cluster's expiry pass, on one connection that holds the session advisory lock {@link
     * Sql#EXPIRY_LOCK} for the pass ({@code pg_try_advisory_lock}: a node that finds it taken skips
     * this interval, and a node that dies mid-pass releases it with its connection): every store's
     * expired keys in batches of {@link #PURGE_BATCH}, each committed alone, so a writer never
     * waits for more than one batch; then each store whose lifetime ended, and the keys late writes
     * left in deleted stores, one transaction per store; then tombstones older than a day.
     */
    @Override
    public SharedExpiry expireShared(long now) {
        try (Connection c = pool.getConnection()) {
            if (!advisory(c, "pg_try_advisory_lock")) {
                return null;
            }
            try {
                passes.increment();
                long purged = 0;
                Map<String, Long> byStore = new HashMap<>();
                try (PreparedStatement p = c.prepareStatement(Sql.PURGE_ALL)) {
                    p.setLong(1, now);
                    p.setInt(2, PURGE_BATCH);
                    int n;
                    do {
                        n = 0;
                        try (ResultSet r = p.executeQuery()) {
                            while (r.next()) {
                                n++;
                                byStore.merge(r.getString(1), 1L, Long::sum);
                            }
                        }
                        purged += n;
                    } while (n == PURGE_BATCH);
                }
                // the stores' own counts (KvStats.purgedKeys) include what the pass deleted
                byStore.forEach(
                        (id, n) -> {
                            PostgresKvStore o = opened.get(id);
                            if (o != null) {
                                o.countPurged(n);
                            }
                        });
                List<String> ended = ids(c, Sql.ENDED_STORES, now);
                for (String id : ended) {
                    inTransaction(c, () -> deleteStore(c, id));
                }
                long orphans = 0;
                for (String id : ids(c, Sql.TOMBSTONES_WITH_KEYS, null)) {
                    orphans += inTransaction(c, () -> deleteStore(c, id));
                }
                if (orphans > 0) {
                    LOG.info("KV expiry pass: deleted {} keys written to deleted stores", orphans);
                }
                try (PreparedStatement p = c.prepareStatement(Sql.DROP_TOMBSTONES)) {
                    p.setLong(1, TOMBSTONE_AGE_MS);
                    p.executeUpdate();
                }
                return new SharedExpiry(ended, purged, orphans);
            } finally {
                advisory(c, "pg_advisory_unlock");
            }
        } catch (SQLException e) {
            throw failures.of(e);
        }
    }

    /** How many expiry passes this node ran for the cluster. */
    long expiryPasses() {
        return passes.sum();
    }

    private static boolean advisory(Connection c, String function) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT " + function + "(" + Sql.EXPIRY_LOCK + ")")) {
            return r.next() && r.getBoolean(1);
        }
    }

    private static List<String> ids(Connection c, String sql, Long now) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            if (now != null) {
                p.setLong(1, now);
            }
            List<String> out = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        }
    }

    private interface Step {
        long run() throws SQLException;
    }

    private static long inTransaction(Connection c, Step step) throws SQLException {
        c.setAutoCommit(false);
        try {
            long n = step.run();
            c.commit();
            return n;
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException r) {
                e.addSuppressed(r);
            }
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    @Override
    public long lifetimeEnd(String deploymentId) {
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement(Sql.LIFETIME_END)) {
            p.setString(1, deploymentId);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getLong(1) : 0;
            }
        } catch (SQLException e) {
            throw failures.of(deploymentId, e);
        }
    }

    @Override
    public void lifetimeEnd(String deploymentId, long epochMillis) {
        checkId(deploymentId);
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement(Sql.SET_LIFETIME_END)) {
            p.setString(1, deploymentId);
            p.setLong(2, epochMillis);
            p.executeUpdate();
        } catch (SQLException e) {
            throw failures.of(deploymentId, e);
        }
    }

    /** Asks the database for its version, within {@code kv.jdbc.timeout}. */
    @Override
    public KvHealth health() {
        try (Connection c = pool.getConnection()) {
            return KvHealth.up(
                    "PostgreSQL "
                            + Schema.describe(Schema.serverVersion(c))
                            + " at "
                            + settings.where());
        } catch (SQLException | RuntimeException e) {
            return KvHealth.down(
                    e instanceof SQLException s ? failures.why(s) : "health check failed: " + e);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    @Override
    public String toString() {
        return "PostgresBackend[" + settings.where() + "]";
    }
}
