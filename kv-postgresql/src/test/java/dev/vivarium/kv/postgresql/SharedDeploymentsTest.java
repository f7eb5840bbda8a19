package dev.vivarium.kv.postgresql;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.deploy.UploadException;
import dev.vivarium.core.deploy.UploadOptions;
import dev.vivarium.core.deploy.UploadRequest;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.TestBundles;
import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deployments.store=postgresql}: three engines ("nodes") with their uploads and KV stores in
 * one real PostgreSQL (a server of its own, since one test crashes and restarts it). An upload to
 * one node is served by the others, through a notice or, when notices are lost, the generation
 * poll; a removal or an expiry (run once for the cluster) takes the deployment everywhere, with its
 * KV rows; with the database down the nodes keep serving, uploads get 503, and they catch up after.
 */
@Timeout(240)
class SharedDeploymentsTest {
    static TestPostgres db;
    final List<Vivarium> nodes = new ArrayList<>();
    final List<PostgresDeploymentRepository> repos = new ArrayList<>();
    String url;
    @TempDir Path dir;

    @BeforeAll
    static void startDatabase() {
        db = TestPostgres.start("deployments");
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    @AfterEach
    void stopNodes() {
        nodes.forEach(Vivarium::close);
    }

    /** Three nodes on a new schema, reading the generation every {@code poll}. */
    void startNodes(String poll) {
        url = db.freshSchema();
        for (int n = 1; n <= 3; n++) {
            PostgresDeploymentRepository repo =
                    PostgresDeploymentRepository.open(
                            Map.of(
                                    PgSettings.URL,
                                    url,
                                    PgSettings.USER,
                                    "postgres",
                                    PgSettings.TIMEOUT,
                                    "1s",
                                    PostgresDeploymentRepository.POLL_INTERVAL,
                                    poll,
                                    PostgresDeploymentRepository.NODE_ID,
                                    "node" + n));
            repos.add(repo);
            KvOptions kv =
                    KvOptions.builder(Path.of("unused"))
                            .backend(PostgresBackend.NAME)
                            .backendSetting(PgSettings.URL, url)
                            .backendSetting(PgSettings.USER, "postgres")
                            .backendSetting(PgSettings.TIMEOUT, "1s")
                            .build();
            nodes.add(
                    Vivarium.builder(
                                    VivariumOptions.builder()
                                            .guestDirectory(TestGuests.root())
                                            .poolSize(2)
                                            .route("/static -> wat/fixtures/hello_raw.wat")
                                            .kv(kv)
                                            .uploads(
                                                    UploadOptions.builder(dir.resolve("up" + n))
                                                            .build())
                                            .build())
                            .deploymentRepository(repo)
                            .start());
        }
    }

    Vivarium node(int n) {
        return nodes.get(n - 1);
    }

    static byte[] fixture(String name) {
        try {
            return Files.readAllBytes(TestGuests.root().resolve("wat/fixtures/" + name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Outcome get(Vivarium v, String path) {
        return v.handle(
                v.route("localhost", path),
                new GuestRequest("GET", path, "localhost", new Headers(), null, "127.0.0.1"));
    }

    static String text(Vivarium v, String path) {
        if (v.route("localhost", path) == null) {
            return null;
        }
        Outcome o = get(v, path);
        return o.kind() == Outcome.Kind.OK ? new String(o.body(), UTF_8) : o.kind().toString();
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            Thread.sleep(20);
        }
    }

    /** How long until {@code condition} holds on every one of {@code on}. */
    static long millisUntil(List<Vivarium> on, java.util.function.Predicate<Vivarium> condition)
            throws InterruptedException {
        long start = System.nanoTime();
        for (Vivarium v : on) {
            await(() -> condition.test(v));
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    long count(String sql) {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    DeploymentInfoShort upload(int n, String id, String match, Duration ttl, String fixture) {
        node(n).uploads().deploy(id, match, ttl, null, List.of(), fixture(fixture));
        return new DeploymentInfoShort(id);
    }

    record DeploymentInfoShort(String id) {}

    @Test
    void anUploadToNodeTwoIsServedByNodesOneAndThreeAfterItsNotice() throws Exception {
        startNodes("60s"); // the poll cannot be what brings it
        upload(2, "hello", "/hello", null, "hello_raw.wat");
        long ms =
                millisUntil(
                        List.of(node(1), node(3)), v -> "Hello, world!".equals(text(v, "/hello")));
        System.out.println("upload to node 2 served by nodes 1 and 3 after " + ms + " ms (notice)");
        assertEquals("Hello, world!", text(node(2), "/hello"));
        assertEquals(1, count("SELECT count(*) FROM vivarium_deploy_modules"));

        // the same module under another id is kept once
        upload(2, "again", "/again", null, "hello_raw.wat");
        millisUntil(List.of(node(1), node(3)), v -> text(v, "/again") != null);
        assertEquals(1, count("SELECT count(*) FROM vivarium_deploy_modules"));

        // every node reports the generation it serves
        long g = repos.get(1).generation();
        await(
                () -> {
                    try {
                        return repos.get(0).nodes(Duration.ofMinutes(2)).size() == 3
                                && repos.get(0).nodes(Duration.ofMinutes(2)).stream()
                                        .allMatch(s -> s.generation() >= g);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
    }

    /**
     * Assets live on one node's disk, which the other nodes do not share: a bundle with assets is
     * refused, saying why; one without assets is a module like any other, served everywhere.
     */
    @Test
    void aBundleWithAssetsIsRefusedAndOneWithoutIsSharedLikeAModule() throws Exception {
        startNodes("300ms");
        byte[] withAssets =
                TestBundles.zip(
                        List.of(
                                TestBundles.Entry.file("vivarium.toml", "route = \"/b/*\""),
                                TestBundles.Entry.file("b.wat", fixture("hello_raw.wat")),
                                TestBundles.Entry.file("assets/index.html", "<h1>b</h1>")));
        UploadException refused =
                assertThrows(
                        UploadException.class,
                        () ->
                                node(2).uploads()
                                        .deploy(
                                                new UploadRequest(
                                                        "b",
                                                        null,
                                                        null,
                                                        null,
                                                        List.of(),
                                                        withAssets)));
        assertEquals(400, refused.status());
        assertTrue(
                refused.getMessage().contains("it has assets, which this server cannot keep")
                        && refused.getMessage().contains("(deployments.store=file)"),
                refused.getMessage());
        assertTrue(
                Files.notExists(dir.resolve("up2/.bundles/b"))
                        || Files.list(dir.resolve("up2/.bundles/b")).findAny().isEmpty(),
                "nothing left on node 2's disk");

        byte[] bare =
                TestBundles.tarGz(
                        List.of(
                                TestBundles.Entry.file("vivarium.toml", "route = \"/b/*\""),
                                TestBundles.Entry.file("b.wat", fixture("hello_raw.wat"))));
        node(2).uploads().deploy(new UploadRequest("b", null, null, null, List.of(), bare));
        millisUntil(nodes, v -> "Hello, world!".equals(text(v, "/b/x")));
    }

    @Test
    void anUploadWhoseNoticeIsLostIsServedAfterTheGenerationPoll() throws Exception {
        startNodes("300ms");
        repos.get(1).announce = false;
        upload(2, "quiet", "/quiet/*", null, "echo_path.wat");
        long ms =
                millisUntil(
                        List.of(node(1), node(3)), v -> "GET /quiet/x".equals(text(v, "/quiet/x")));
        System.out.println("upload without notice served by nodes 1 and 3 after " + ms + " ms");
        assertEquals(0, count("SELECT count(*) FROM vivarium_deploy_modules") - 1);
    }

    @Test
    void aRemovedDeploymentDisappearsEverywhereWithItsKvRows() throws Exception {
        startNodes("2s");
        upload(2, "tally", "/tally", null, "kv_tally.wat");
        millisUntil(nodes, v -> v.route("localhost", "/tally") != null);
        for (Vivarium v : nodes) {
            assertNotNull(text(v, "/tally"));
        }
        assertEquals(3, node(3).kvStores().get("tally", "kv_tally:hits").length);
        assertTrue(
                count("SELECT count(*) FROM vivarium_kv_entries WHERE deployment = 'tally'") > 0);

        assertTrue(node(1).uploads().remove("tally"));
        millisUntil(nodes, v -> v.route("localhost", "/tally") == null);
        assertEquals(
                0, count("SELECT count(*) FROM vivarium_kv_entries WHERE deployment = 'tally'"));
        assertEquals(0, count("SELECT count(*) FROM vivarium_deployments"));
        assertEquals(0, count("SELECT count(*) FROM vivarium_deploy_modules"));
        assertEquals("Hello, world!", text(node(2), "/static"), "configured: untouched");
    }

    @Test
    void anExpiredDeploymentIsDeletedOnceForTheClusterWithItsKvRows() throws Exception {
        startNodes("2s");
        upload(2, "brief", "/brief", Duration.ofSeconds(8), "kv_tally.wat");
        millisUntil(nodes, v -> v.route("localhost", "/brief") != null);
        for (Vivarium v : nodes) {
            assertNotNull(text(v, "/brief"));
        }
        assertTrue(
                count("SELECT count(*) FROM vivarium_kv_entries WHERE deployment = 'brief'") > 0);

        millisUntil(nodes, v -> v.route("localhost", "/brief") == null);
        await(() -> count("SELECT count(*) FROM vivarium_deployments") == 0);
        await(
                () ->
                        count("SELECT count(*) FROM vivarium_kv_entries WHERE deployment = 'brief'")
                                == 0);
        // each node's registry saw it end; one expired it
        Thread.sleep(1_500);
        assertEquals(1, repos.stream().mapToInt(PostgresDeploymentRepository::expiredHere).sum());
        assertEquals(0, count("SELECT count(*) FROM vivarium_deploy_modules"));
    }

    @Test
    void withTheDatabaseDownNodesKeepServingUploadsGet503AndTheyCatchUpAfter() throws Exception {
        startNodes("500ms");
        upload(2, "kept", "/kept", null, "hello_raw.wat");
        millisUntil(nodes, v -> "Hello, world!".equals(text(v, "/kept")));

        db.crash();
        try {
            for (Vivarium v : nodes) {
                assertEquals(
                        "Hello, world!", text(v, "/kept"), "served while the database is down");
            }
            UploadException e =
                    assertThrows(
                            UploadException.class,
                            () -> upload(1, "late", "/late", null, "hello_raw.wat"));
            assertEquals(503, e.status(), e.getMessage());
            assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
            assertNull(node(1).route("localhost", "/late"), "nothing published");
            assertEquals("Hello, world!", text(node(3), "/kept"));
        } finally {
            db.restart();
        }

        // the watches reconnect; a change made now reaches every node
        await(
                () -> {
                    try {
                        upload(1, "late", "/late/*", null, "echo_path.wat");
                        return true;
                    } catch (UploadException e) {
                        return false;
                    }
                });
        long ms = millisUntil(nodes, v -> "GET /late/x".equals(text(v, "/late/x")));
        System.out.println("after the restart, an upload reached every node in " + ms + " ms");
        assertTrue(node(3).uploads().remove("kept"));
        millisUntil(nodes, v -> v.route("localhost", "/kept") == null);
    }

    @Test
    void theSettingDeploymentsStorePostgresqlSharesUploadsThroughKvJdbcSettings() throws Exception {
        url = db.freshSchema();
        List<Vivarium> two = new ArrayList<>();
        try {
            for (int n = 1; n <= 2; n++) {
                two.add(
                        Vivarium.builder(
                                        VivariumOptions.parse(
                                                Map.of(
                                                        "routes",
                                                        "/static -> wat/fixtures/hello_raw.wat",
                                                        "kv.directory",
                                                        dir.resolve("kv" + n).toString(),
                                                        "deployments.store",
                                                        "postgresql",
                                                        "kv.jdbc.url",
                                                        url,
                                                        "kv.jdbc.user",
                                                        "postgres",
                                                        "deployments.pollInterval",
                                                        "200ms",
                                                        "deployments.nodeId",
                                                        "settings" + n),
                                                TestGuests.root(),
                                                dir.resolve("kv" + n)))
                                .start());
            }
            two.get(0).uploads().deploy("s", "/s", null, null, List.of(), fixture("hello_raw.wat"));
            millisUntil(List.of(two.get(1)), v -> "Hello, world!".equals(text(v, "/s")));
            assertEquals(1, count("SELECT count(*) FROM vivarium_deployments"));
        } finally {
            two.forEach(Vivarium::close);
        }
    }
}
