package dev.vivarium.kv.postgresql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import dev.vivarium.core.deploy.DeploymentRecord;
import dev.vivarium.core.deploy.DeploymentRepository;
import dev.vivarium.core.deploy.DeploymentStoreProvider;
import dev.vivarium.core.deploy.NodeList;
import dev.vivarium.core.deploy.RepositoryUnavailableException;
import java.io.IOException;
import java.net.InetAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code deployments.store=postgresql}: uploaded deployments in a PostgreSQL database shared by
 * every node, so each node serves every deployment. Modules are kept once per SHA-256 ({@link
 * DeploymentSchema}). Every change bumps one generation number in its transaction and announces it
 * with {@code NOTIFY vivarium_deployments}; each node listens, and also reads the generation every
 * {@code deployments.pollInterval}, since notices are lost while a node is disconnected. Either way
 * the registry is told to look again.
 *
 * <p>Expiry runs once for the cluster: every node's registry sees a deployment end, but only the
 * one whose {@link #expire} takes the deployment's {@code pg_try_advisory_xact_lock} and deletes
 * its row gets true, and that node deletes the KV store with it. Each node records a heartbeat
 * (node id, generation served, last seen) in {@code vivarium_deploy_nodes}; {@link #nodes} reads
 * them, so that {@code deploy --wait} can return once every live node serves a generation.
 *
 * <p>With the database down, the deployments a node has keep running; saves and deletes fail with
 * {@link RepositoryUnavailableException} (the upload gets a 503); the watch reconnects and, once
 * the database is back, reads the generation and catches up.
 */
public final class PostgresDeploymentRepository implements DeploymentRepository {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.deployments");
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** The {@code deployments.store} value. */
    public static final String NAME = "postgresql";

    static final String CHANNEL = "vivarium_deployments";
    static final String POLL_INTERVAL = "deployments.pollInterval";
    static final String NODE_ID = "deployments.nodeId";
    static final String PREFIX = "deployments.jdbc.";
    static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(2);

    /** Every setting the store reads: its own, and the {@code kv.jdbc.*} ones it falls back to. */
    static final List<String> NAMES;

    static {
        List<String> names = new ArrayList<>(List.of(POLL_INTERVAL, NODE_ID));
        for (String kv : PgSettings.NAMES) {
            names.add(own(kv));
            names.add(kv);
        }
        NAMES = List.copyOf(names);
    }

    private final PgSettings settings;
    private final HikariDataSource pool;
    private final String nodeId;
    private final Duration pollInterval;
    private final AtomicInteger expired = new AtomicInteger();

    /** The newest generation this node has read everything of. */
    private volatile long known = -1;

    /** The generation of the last {@link #list}, and the one the registry has applied. */
    private volatile long listed = -1;

    private volatile long served = -1;

    private volatile boolean closed;

    /** The generation the last heartbeat recorded. */
    private volatile long beat = -2;

    private Thread watcher;
    private Connection listening;

    /** Whether changes are announced; tests turn it off to lose the notices. */
    volatile boolean announce = true;

    private PostgresDeploymentRepository(
            PgSettings settings, HikariDataSource pool, String nodeId, Duration pollInterval) {
        this.settings = settings;
        this.pool = pool;
        this.nodeId = nodeId;
        this.pollInterval = pollInterval;
    }

    /** Found by {@code DeploymentStores} through {@code META-INF/services}. */
    public static final class Provider implements DeploymentStoreProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public List<String> settings() {
            return NAMES;
        }

        @Override
        public DeploymentRepository open(Map<String, String> settings) {
            return PostgresDeploymentRepository.open(settings);
        }
    }

    private static String own(String kvName) {
        return PREFIX + kvName.substring("kv.jdbc.".length());
    }

    /**
     * Connects and creates or migrates the tables. Each {@code deployments.jdbc.X} setting falls
     * back to {@code kv.jdbc.X}, so one database serves both with no more settings.
     *
     * @param given the settings, by name (see {@link #NAMES})
     * @throws ConfigurationException if a setting is wrong or the database cannot be used
     */
    public static PostgresDeploymentRepository open(Map<String, String> given) {
        Objects.requireNonNull(given, "given");
        Map<String, String> jdbc = new HashMap<>();
        for (String kv : PgSettings.NAMES) {
            String v = given.containsKey(own(kv)) ? given.get(own(kv)) : given.get(kv);
            if (v != null) {
                jdbc.put(kv, v);
            }
        }
        if (!jdbc.containsKey(PgSettings.URL) && !jdbc.containsKey(PgSettings.DATA_SOURCE)) {
            throw new ConfigurationException(
                    "Vivarium setting 'deployments.jdbc.url' (or 'kv.jdbc.url', or a JNDI"
                            + " DataSource name in 'deployments.jdbc.dataSource') is required with"
                            + " deployments.store=postgresql, e.g."
                            + " jdbc:postgresql://db.example.com:5432/vivarium");
        }
        PgSettings settings = PgSettings.parse(jdbc);
        String pollText = given.get(POLL_INTERVAL);
        Duration poll =
                pollText == null
                        ? DEFAULT_POLL_INTERVAL
                        : Settings.parseDuration(POLL_INTERVAL, pollText);
        if (poll.toMillis() < 50 || poll.compareTo(Duration.ofMinutes(10)) > 0) {
            throw Settings.bad(POLL_INTERVAL, pollText, "from 50ms to 10m");
        }
        String nodeId = given.get(NODE_ID);
        if (nodeId == null || nodeId.isBlank()) {
            nodeId = defaultNodeId();
        }
        HikariDataSource pool = new HikariDataSource(config(settings));
        try {
            try (Connection c = pool.getConnection()) {
                DeploymentSchema.migrate(c, settings.where());
            }
            LOG.info(
                    "deployments in PostgreSQL: {}, node {}, generation read every {}",
                    settings.where(),
                    nodeId,
                    poll);
            return new PostgresDeploymentRepository(settings, pool, nodeId, poll);
        } catch (SQLException | IOException e) {
            pool.close();
            throw new ConfigurationException(
                    "Vivarium setting 'deployments.store=postgresql': cannot use the database at "
                            + settings.where()
                            + ": "
                            + e.getMessage()
                            + ". Check that PostgreSQL runs there and that deployments.jdbc.* (or"
                            + " kv.jdbc.*) are right",
                    e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private static String defaultNodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "node";
        }
        return host + "-" + ProcessHandle.current().pid() + "-" + POOLS.get();
    }

    private static HikariConfig config(PgSettings s) {
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
            String seconds = String.valueOf(Math.max(1, (timeout + 999) / 1000));
            c.addDataSourceProperty("connectTimeout", seconds);
            c.addDataSourceProperty("loginTimeout", seconds);
            c.addDataSourceProperty("tcpKeepAlive", "true");
            c.addDataSourceProperty("ApplicationName", "vivarium-deployments");
        } else {
            c.setDataSource(PostgresBackend.lookup(s.dataSource()));
        }
        c.setPoolName("vivarium-deployments-" + POOLS.incrementAndGet());
        // the listening connection, a change, a heartbeat
        c.setMaximumPoolSize(Math.max(3, Math.min(4, s.poolSize())));
        c.setMinimumIdle(1);
        c.setConnectionTimeout(timeout);
        c.setValidationTimeout(Math.max(250, timeout / 2));
        c.setInitializationFailTimeout(-1);
        c.setConnectionInitSql(
                "SET synchronous_commit = on; SET lock_timeout = "
                        + timeout
                        + "; SET idle_in_transaction_session_timeout = "
                        + Math.max(10_000, 4 * timeout));
        return c;
    }

    // --- changes ------------------------------------------------------------------------------

    interface Work<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    /** Runs {@code work} in one transaction; a lost connection becomes "unavailable". */
    private <T> T tx(String what, Work<T> work) throws IOException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T out = work.run(c);
                c.commit();
                return out;
            } catch (SQLException | IOException | RuntimeException e) {
                safeRollback(c);
                throw e;
            }
        } catch (SQLException e) {
            if (isUnavailable(e)) {
                throw new RepositoryUnavailableException(
                        "the deployments database at "
                                + settings.where()
                                + " is unavailable ("
                                + e.getMessage()
                                + ")",
                        e);
            }
            throw new IOException(
                    "cannot " + what + " in " + describe() + ": " + e.getMessage(), e);
        }
    }

    private static void safeRollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            // the connection is gone; the server rolled back
        }
    }

    static boolean isUnavailable(SQLException e) {
        String state = e.getSQLState();
        return e instanceof SQLTransientException
                || state == null
                || state.startsWith("08")
                || state.startsWith("57P")
                || state.equals("53300");
    }

    /** Takes the generation row (every change holds it to its commit: changes are serial). */
    private static long bump(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r =
                        s.executeQuery(
                                "UPDATE vivarium_deploy_generation SET generation = generation + 1"
                                        + " RETURNING generation")) {
            r.next();
            return r.getLong(1);
        }
    }

    private void notify(Connection c, long generation) throws SQLException {
        if (!announce) {
            return;
        }
        try (PreparedStatement p = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            p.setString(1, CHANNEL);
            p.setString(2, generation + " " + nodeId);
            p.execute();
        }
    }

    /**
     * This node made change {@code generation}: it knows everything up to it if it knew the one
     * before.
     */
    private void made(long generation) {
        synchronized (this) {
            if (known == generation - 1) {
                known = generation;
                if (served == generation - 1) {
                    served = generation; // the registry publishes it as this returns
                }
            }
        }
    }

    @Override
    public void save(DeploymentRecord d) throws IOException {
        String sha = sha256(d.module());
        long g =
                tx(
                        "save deployment " + d.id(),
                        c -> {
                            long gen = bump(c);
                            try (PreparedStatement p =
                                    c.prepareStatement(
                                            "INSERT INTO vivarium_deploy_modules (sha256, bytes)"
                                                    + " VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                                p.setString(1, sha);
                                p.setBytes(2, d.module());
                                p.executeUpdate();
                            }
                            String old = null;
                            try (PreparedStatement p =
                                    c.prepareStatement(
                                            "SELECT module_sha256 FROM vivarium_deployments"
                                                    + " WHERE id = ?")) {
                                p.setString(1, d.id());
                                try (ResultSet r = p.executeQuery()) {
                                    if (r.next()) {
                                        old = r.getString(1);
                                    }
                                }
                            }
                            try (PreparedStatement p =
                                    c.prepareStatement(
                                            "INSERT INTO vivarium_deployments (id, route,"
                                                    + " module_name, module_sha256, deployed_at,"
                                                    + " expires_at, expires_ms, generation)"
                                                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                                                    + " ON CONFLICT (id) DO UPDATE SET route ="
                                                    + " excluded.route, module_name ="
                                                    + " excluded.module_name, module_sha256 ="
                                                    + " excluded.module_sha256, deployed_at ="
                                                    + " excluded.deployed_at, expires_at ="
                                                    + " excluded.expires_at, expires_ms ="
                                                    + " excluded.expires_ms, generation ="
                                                    + " excluded.generation")) {
                                p.setString(1, d.id());
                                p.setString(2, d.route());
                                p.setString(3, d.moduleName());
                                p.setString(4, sha);
                                p.setString(5, d.deployedAt().toString());
                                p.setString(6, d.expiresAt().toString());
                                p.setLong(7, d.expiresAt().toEpochMilli());
                                p.setLong(8, gen);
                                p.executeUpdate();
                            }
                            if (old != null && !old.equals(sha)) {
                                dropModuleIfUnused(c, old);
                            }
                            notify(c, gen);
                            return gen;
                        });
        made(g);
    }

    private static void dropModuleIfUnused(Connection c, String sha) throws SQLException {
        try (PreparedStatement p =
                c.prepareStatement(
                        "DELETE FROM vivarium_deploy_modules m WHERE sha256 = ? AND NOT EXISTS"
                                + " (SELECT 1 FROM vivarium_deployments d"
                                + " WHERE d.module_sha256 = m.sha256)")) {
            p.setString(1, sha);
            p.executeUpdate();
        }
    }

    /**
     * Deletes the row of {@code id} (with {@code condition}) in a change; the generation, or -1.
     */
    private long deleteRow(Connection c, String id, Instant endedBy) throws SQLException {
        long gen = bump(c);
        String sha;
        try (PreparedStatement p =
                c.prepareStatement(
                        "DELETE FROM vivarium_deployments WHERE id = ?"
                                + (endedBy != null ? " AND expires_ms <= ?" : "")
                                + " RETURNING module_sha256")) {
            p.setString(1, id);
            if (endedBy != null) {
                p.setLong(2, endedBy.toEpochMilli());
            }
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    c.rollback(); // nothing changed: the generation stays
                    return -1;
                }
                sha = r.getString(1);
            }
        }
        dropModuleIfUnused(c, sha);
        notify(c, gen);
        return gen;
    }

    @Override
    public void delete(String id) throws IOException {
        long g = tx("delete deployment " + id, c -> deleteRow(c, id, null));
        if (g > 0) {
            made(g);
        }
    }

    /**
     * Deletes {@code id} if it ended by {@code now}; of several nodes calling this for one
     * deployment, one gets true: the one that takes the deployment's advisory lock and finds its
     * row. Counted in {@link #expiredHere()}.
     */
    @Override
    public boolean expire(String id, Instant now) throws IOException {
        long g =
                tx(
                        "expire deployment " + id,
                        c -> {
                            try (PreparedStatement p =
                                    c.prepareStatement(
                                            "SELECT pg_try_advisory_xact_lock("
                                                    + "hashtextextended('vivarium_deployment:'"
                                                    + " || ?, 0))")) {
                                p.setString(1, id);
                                try (ResultSet r = p.executeQuery()) {
                                    r.next();
                                    if (!r.getBoolean(1)) {
                                        return -1L; // another node is expiring it now
                                    }
                                }
                            }
                            return deleteRow(c, id, now);
                        });
        if (g < 0) {
            return false;
        }
        made(g);
        expired.incrementAndGet();
        LOG.info("deployment {} expired; this node ({}) deleted it for the cluster", id, nodeId);
        return true;
    }

    /** How many deployments this node expired for the cluster. */
    public int expiredHere() {
        return expired.get();
    }

    // --- reading ------------------------------------------------------------------------------

    @Override
    public List<DeploymentRecord> list() throws IOException {
        List<DeploymentRecord> out = new ArrayList<>();
        long g =
                tx(
                        "list the deployments",
                        c -> {
                            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                            c.setReadOnly(true);
                            try {
                                long gen = generation(c);
                                read(c, out);
                                return gen;
                            } finally {
                                c.commit();
                                c.setReadOnly(false);
                                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                            }
                        });
        synchronized (this) {
            known = Math.max(known, g);
            listed = g;
        }
        return out;
    }

    @Override
    public synchronized void applied() {
        served = Math.max(served, listed);
    }

    private void read(Connection c, List<DeploymentRecord> out) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r =
                        s.executeQuery(
                                "SELECT d.id, d.route, d.module_name, d.module_sha256,"
                                        + " d.deployed_at, d.expires_at, m.bytes"
                                        + " FROM vivarium_deployments d JOIN vivarium_deploy_modules m"
                                        + " ON m.sha256 = d.module_sha256 ORDER BY d.id")) {
            while (r.next()) {
                String id = r.getString(1);
                try {
                    byte[] module = r.getBytes(7);
                    if (!sha256(module).equals(r.getString(4))) {
                        throw new IllegalStateException("its module's SHA-256 does not match");
                    }
                    out.add(
                            new DeploymentRecord(
                                    id,
                                    r.getString(2),
                                    r.getString(3),
                                    module,
                                    Instant.parse(r.getString(5)),
                                    Instant.parse(r.getString(6))));
                } catch (RuntimeException e) {
                    LOG.warn(
                            "uploaded deployment {} ({}) not restored: {}",
                            id,
                            describe(),
                            e.getMessage());
                }
            }
        }
    }

    private static long generation(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT generation FROM vivarium_deploy_generation")) {
            r.next();
            return r.getLong(1);
        }
    }

    /** The cluster's generation now: every change bumps it. */
    public long generation() throws IOException {
        return tx("read the generation", PostgresDeploymentRepository::generation);
    }

    /** The generation this node serves (has read and applied all of), or -1 before any. */
    public long served() {
        return served;
    }

    /** This node's id in the heartbeats ({@code deployments.nodeId}). */
    public String nodeId() {
        return nodeId;
    }

    /**
     * How recent a heartbeat must be for its node to count as live: three poll intervals (a node
     * records one at least every interval), at least 5 s.
     */
    Duration liveWithin() {
        Duration three = pollInterval.multipliedBy(3);
        return three.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : three;
    }

    /**
     * The live nodes ({@link #liveWithin}) and the generation each serves, with the cluster's
     * generation read in the same transaction: {@code deploy --wait} is done when each serves the
     * generation read after its change, or a later one.
     */
    @Override
    public NodeList nodes() throws IOException {
        Duration within = liveWithin();
        return tx(
                "read the nodes",
                c -> new NodeList(NAME, true, generation(c), nodeId, nodes(c, within)));
    }

    /**
     * The nodes seen within {@code within}, with the generation each serves: {@code deploy --wait}
     * is done when each serves the generation of its change or a later one.
     */
    public List<NodeList.Node> nodes(Duration within) throws IOException {
        return tx("read the nodes", c -> nodes(c, within));
    }

    private static List<NodeList.Node> nodes(Connection c, Duration within) throws SQLException {
        List<NodeList.Node> out = new ArrayList<>();
        try (PreparedStatement p =
                c.prepareStatement(
                        "SELECT node_id, generation, seen_at FROM vivarium_deploy_nodes"
                                + " WHERE seen_at >= now() - ? * interval '1 millisecond'"
                                + " ORDER BY node_id")) {
            p.setLong(1, within.toMillis());
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(
                            new NodeList.Node(
                                    r.getString(1), r.getLong(2), r.getTimestamp(3).toInstant()));
                }
            }
        }
        return out;
    }

    // --- watching -----------------------------------------------------------------------------

    @Override
    public synchronized AutoCloseable watch(Runnable onChange) {
        Objects.requireNonNull(onChange, "onChange");
        if (watcher != null) {
            throw new IllegalStateException("already watched");
        }
        watcher = new Thread(() -> watchLoop(onChange), "vivarium-deployments-watch-" + nodeId);
        watcher.setDaemon(true);
        watcher.start();
        return this::stopWatching;
    }

    private void watchLoop(Runnable onChange) {
        boolean down = false;
        while (!closed) {
            try {
                boolean changed = waitForNotice();
                long g = tx("read the generation", PostgresDeploymentRepository::generation);
                if (changed || g != known) {
                    onChange.run();
                }
                heartbeat();
                if (down) {
                    LOG.info("deployments database at {} reachable again", settings.where());
                    down = false;
                }
            } catch (IOException | SQLException | RuntimeException e) {
                closeListening();
                if (closed) {
                    return;
                }
                if (!down) {
                    LOG.warn(
                            "deployments database at {} unreachable ({}); serving the deployments"
                                    + " this node has, retrying every {}",
                            settings.where(),
                            e.getMessage(),
                            pollInterval);
                    down = true;
                }
                sleep(pollInterval);
            }
        }
    }

    /** Waits up to a poll interval for another node's notice; whether one came. */
    private boolean waitForNotice() throws SQLException, IOException {
        Connection c;
        synchronized (this) {
            if (listening == null) {
                Connection fresh = pool.getConnection();
                try (Statement s = fresh.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                } catch (SQLException e) {
                    fresh.close();
                    throw e;
                }
                listening = fresh;
                // notices sent before LISTEN are lost: the generation read after this covers them
            }
            c = listening;
        }
        // in slices, so that close() need not wait for a whole interval
        long end = System.nanoTime() + pollInterval.toNanos();
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed) {
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            if (served != beat) {
                heartbeat(); // soon after the registry applied a change
            }
            PGNotification[] got = pg.getNotifications((int) Math.min(left, 250));
            if (got != null) {
                for (PGNotification n : got) {
                    if (!n.getParameter().endsWith(" " + nodeId)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private void heartbeat() throws IOException {
        long served = this.served;
        beat = served;
        tx(
                "record the heartbeat",
                c -> {
                    try (PreparedStatement p =
                            c.prepareStatement(
                                    "INSERT INTO vivarium_deploy_nodes (node_id, generation,"
                                            + " seen_at, started_at) VALUES (?, ?, now(), now())"
                                            + " ON CONFLICT (node_id) DO UPDATE SET generation ="
                                            + " excluded.generation, seen_at = now()")) {
                        p.setString(1, nodeId);
                        p.setLong(2, served);
                        return p.executeUpdate();
                    }
                });
    }

    private synchronized void closeListening() {
        if (listening != null) {
            try {
                listening.close();
            } catch (SQLException e) {
                // gone already
            }
            listening = null;
        }
    }

    private void stopWatching() {
        Thread t;
        synchronized (this) {
            t = watcher;
            watcher = null;
        }
        if (t == null) {
            return;
        }
        closed = true;
        t.interrupt();
        closeListening();
        try {
            t.join(pollInterval.toMillis() + 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String describe() {
        return "the deployments database at " + settings.where();
    }

    /** Stops the watch, forgets this node's heartbeat and closes the pool. */
    @Override
    public void close() {
        stopWatching();
        closed = true;
        try {
            tx(
                    "forget the heartbeat",
                    c -> {
                        try (PreparedStatement p =
                                c.prepareStatement(
                                        "DELETE FROM vivarium_deploy_nodes WHERE node_id = ?")) {
                            p.setString(1, nodeId);
                            return p.executeUpdate();
                        }
                    });
        } catch (IOException e) {
            LOG.debug("heartbeat of {} left in place: {}", nodeId, e.getMessage());
        }
        pool.close();
    }
}
