package dev.vivarium.core.deploy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.MutableClock;
import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deployments uploaded at run time, through the engine's Java API: real modules, real MapDB stores,
 * real files in {@code deployments.directory}, an engine restarted on the same directories, and
 * expiry on a clock the test moves.
 */
@Timeout(120)
class UploadsTest {
    @TempDir Path kvDir;
    @TempDir Path deployDir;
    final MutableClock clock = new MutableClock();

    Vivarium start(Consumer<UploadOptions.Builder> uploads, String... routes) {
        UploadOptions.Builder u = UploadOptions.builder(deployDir).max(3);
        uploads.accept(u);
        VivariumOptions.Builder b =
                VivariumOptions.builder()
                        .guestDirectory(TestGuests.root())
                        .poolSize(1)
                        .kv(KvOptions.defaults(kvDir))
                        .uploads(u.build());
        for (String r : routes) {
            b.route(r);
        }
        return Vivarium.builder(b.build()).clock(clock).start();
    }

    Vivarium start() {
        return start(u -> {}, "/static -> wat/fixtures/hello_raw.wat; id=static");
    }

    static byte[] module(String relative) throws IOException {
        return Files.readAllBytes(TestGuests.root().resolve(relative));
    }

    static Outcome get(Vivarium v, String path) {
        var route = v.route("localhost", path);
        if (route == null) {
            return null;
        }
        return v.handle(
                route,
                new GuestRequest("GET", path, "localhost", new Headers(), null, "127.0.0.1"));
    }

    static String body(Outcome o) {
        assertNotNull(o, "routed");
        assertEquals(200, o.status(), o::toString);
        return new String(o.body(), UTF_8);
    }

    UploadException refused(Vivarium v, String id, String match, byte[] module) {
        return assertThrows(
                UploadException.class,
                () -> v.uploads().deploy(id, match, null, null, List.of(), module));
    }

    @Test
    void anUploadedWasmModuleTakesRequestsAtOnceAndGoesAwayWhenRemoved() throws Exception {
        try (Vivarium v = start()) {
            assertNull(get(v, "/try/hello"), "nothing there yet");
            DeploymentInfo d =
                    v.uploads()
                            .deploy(
                                    "try",
                                    "/try/*",
                                    Duration.ofMinutes(5),
                                    null,
                                    List.of(),
                                    module("dist/hello.wasm"));
            assertEquals("Hello, world!", body(get(v, "/try/hello")));
            assertEquals("try", d.id());
            assertTrue(d.uploaded());
            assertEquals(clock.instant().plus(Duration.ofMinutes(5)), d.expiresAt());
            assertEquals("Hello, world!", body(get(v, "/static")), "configured routes stay");
            assertTrue(Files.exists(deployDir.resolve("try.wasm")));
            assertEquals(
                    1.0, v.meterRegistry().get("vivarium.deployments.uploaded").gauge().value());

            assertTrue(v.uploads().remove("try"));
            assertNull(get(v, "/try/hello"), "removed: the request passes");
            assertFalse(Files.exists(deployDir.resolve("try.wasm")), "files deleted");
            assertFalse(v.uploads().remove("try"), "already gone");
        }
    }

    @Test
    void requestsKeepBeingAnsweredWhileADeploymentIsReplaced() throws Exception {
        byte[] wat = module("wat/fixtures/hello_raw.wat");
        byte[] wasm = module("dist/hello.wasm");
        try (Vivarium v = start()) {
            v.uploads().deploy("live", "/live", null, null, List.of(), wat);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger served = new AtomicInteger();
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            List<Thread> clients = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Thread c =
                        new Thread(
                                () -> {
                                    while (!stop.get()) {
                                        Outcome o = get(v, "/live");
                                        if (o == null || o.status() != 200) {
                                            wrong.add(String.valueOf(o));
                                        } else {
                                            served.incrementAndGet();
                                        }
                                    }
                                });
                c.start();
                clients.add(c);
            }
            for (int i = 0; i < 20; i++) {
                v.uploads().deploy("live", "/live", null, null, List.of(), i % 2 == 0 ? wasm : wat);
            }
            stop.set(true);
            for (Thread c : clients) {
                c.join(30_000);
            }
            assertEquals(List.of(), List.copyOf(wrong), "every request answered 200");
            assertTrue(served.get() > 0);
            assertEquals(1, v.pools().size() - 1, "old pools retired: one configured, one upload");
        }
    }

    @Test
    void webAssemblyTextIsAcceptedToo() throws Exception {
        try (Vivarium v = start()) {
            v.uploads()
                    .deploy(
                            "wat",
                            "/wat",
                            null,
                            null,
                            List.of(),
                            module("wat/fixtures/hello_raw.wat"));
            assertEquals("Hello, world!", body(get(v, "/wat")));
            assertEquals(
                    clock.instant().plus(UploadOptions.DEFAULT_TTL),
                    v.uploads().get("wat").expiresAt(),
                    "deployments.defaultTtl");
        }
    }

    @Test
    void replacingKeepsTheKvStoreAndRemovingDeletesIt() throws Exception {
        byte[] counter = module("wat/fixtures/kv_counter.wat");
        try (Vivarium v = start()) {
            v.uploads().deploy("counter", "/c", null, null, List.of(), counter);
            assertEquals("1\n", body(get(v, "/c")));
            assertEquals("2\n", body(get(v, "/c")));
            v.uploads().deploy("counter", "/c", null, null, List.of(), counter);
            assertEquals("3\n", body(get(v, "/c")), "a new version keeps the store");
            assertTrue(v.kvStores().deployments().contains("counter"));

            v.uploads().remove("counter");
            assertFalse(v.kvStores().deployments().contains("counter"), "store deleted");
            v.uploads().deploy("counter", "/c", null, null, List.of(), counter);
            assertEquals("1\n", body(get(v, "/c")), "a new deployment starts empty");
        }
    }

    @Test
    void aDeploymentExpiresWithItsKvStoreAndFiles() throws Exception {
        try (Vivarium v = start()) {
            v.uploads()
                    .deploy(
                            "short",
                            "/short",
                            Duration.ofMinutes(1),
                            null,
                            List.of(),
                            module("wat/fixtures/kv_counter.wat"));
            assertEquals("1\n", body(get(v, "/short")));
            clock.advance(Duration.ofSeconds(59));
            assertEquals(List.of(), v.uploads().expire());
            assertEquals("2\n", body(get(v, "/short")));

            clock.advance(Duration.ofSeconds(1));
            assertEquals(List.of("short"), v.uploads().expire());
            assertNull(get(v, "/short"));
            assertFalse(v.kvStores().deployments().contains("short"));
            assertFalse(Files.exists(deployDir.resolve("short.wat")));
            assertFalse(Files.exists(deployDir.resolve("short.deployment")));
        }
    }

    @Test
    void whenTheStoresExpiryRunsFirstTheDeploymentGoesWithIt() throws Exception {
        try (Vivarium v = start()) {
            v.uploads()
                    .deploy(
                            "short",
                            "/short",
                            Duration.ofMinutes(1),
                            null,
                            List.of(),
                            module("wat/fixtures/kv_counter.wat"));
            assertEquals("1\n", body(get(v, "/short")));
            clock.advance(Duration.ofMinutes(1));
            // the uploads' own expiry thread may get there first (then the store is gone already)
            List<String> deleted = v.kvStores().runExpiry().deletedStores();
            assertTrue(deleted.isEmpty() || deleted.equals(List.of("short")), deleted::toString);
            assertNull(get(v, "/short"), "no route left that would answer 503 until the next tick");
            assertEquals(List.of(), v.uploads().list());
        }
    }

    @Test
    void uploadsSurviveARestartUntilTheyExpire() throws Exception {
        byte[] counter = module("wat/fixtures/kv_counter.wat");
        try (Vivarium v = start()) {
            v.uploads().deploy("kept", "/kept", Duration.ofHours(2), null, List.of(), counter);
            v.uploads().deploy("brief", "/brief", Duration.ofHours(1), null, List.of(), counter);
            assertEquals("1\n", body(get(v, "/kept")));
            assertEquals("1\n", body(get(v, "/brief")));
        }
        clock.advance(Duration.ofMinutes(90));
        try (Vivarium v = start()) {
            assertEquals("2\n", body(get(v, "/kept")), "restored with its store");
            assertEquals(
                    List.of("kept"), v.uploads().list().stream().map(DeploymentInfo::id).toList());
            assertNull(get(v, "/brief"), "expired while the server was down");
            assertFalse(v.kvStores().deployments().contains("brief"));
            assertFalse(Files.exists(deployDir.resolve("brief.deployment")));
        }
    }

    @Test
    void aKeptUploadThatNoLongerLoadsIsSkippedAndTheOthersComeBack() throws Exception {
        byte[] hello = module("wat/fixtures/hello_raw.wat");
        try (Vivarium v = start()) {
            v.uploads().deploy("good", "/good", null, null, List.of(), hello);
            v.uploads().deploy("broken", "/broken", null, null, List.of(), hello);
        }
        Files.writeString(deployDir.resolve("broken.wat"), "(module (func $run))");
        try (Vivarium v = start()) {
            assertEquals("Hello, world!", body(get(v, "/good")));
            assertNull(get(v, "/broken"), "not restored: its module has no run export now");
            assertTrue(Files.exists(deployDir.resolve("broken.deployment")), "left for a look");
        }
    }

    @Test
    void badUploadsAreRefusedSayingWhatWasWrongAndChangeNothing() throws Exception {
        byte[] hello = module("wat/fixtures/hello_raw.wat");
        try (Vivarium v =
                start(
                        u -> u.adminToken("0123456789abcdef0123"),
                        "/static -> wat/fixtures/hello_raw.wat; id=static")) {
            v.uploads().deploy("one", "/one/*", null, null, List.of(), hello);

            UploadException e = refused(v, "bad id!", "/x", hello);
            assertEquals(400, e.status());
            assertTrue(e.getMessage().contains("bad id!"), e.getMessage());

            e = refused(v, "static", "/x", hello);
            assertEquals(409, e.status());
            assertTrue(e.getMessage().contains("configured"), e.getMessage());

            e = refused(v, "two", "/static", hello);
            assertEquals(409, e.status(), "same requests as a configured route");
            assertTrue(e.getMessage().contains("match the same requests"), e.getMessage());

            e = refused(v, "two", "/one/*", hello);
            assertEquals(409, e.status(), "same requests as another upload");

            e = refused(v, "two", "/_vivarium/x", hello);
            assertEquals(409, e.status());
            assertTrue(e.getMessage().contains("admin"), e.getMessage());

            e = refused(v, "two", "/two", new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0, 9});
            assertEquals(400, e.status());
            assertTrue(e.getMessage().contains("two.wasm"), e.getMessage());

            e = refused(v, "two", "/two", "(module)".getBytes(UTF_8));
            assertEquals(400, e.status());
            assertTrue(e.getMessage().contains("run"), "no run export: " + e.getMessage());

            e =
                    assertThrows(
                            UploadException.class,
                            () ->
                                    v.uploads()
                                            .deploy(
                                                    "two",
                                                    "/two",
                                                    null,
                                                    null,
                                                    List.of("ftp://files.example"),
                                                    hello));
            assertEquals(400, e.status());
            assertTrue(e.getMessage().contains("ftp://files.example"), e.getMessage());

            e = refused(v, "two", null, hello);
            assertEquals(400, e.status());
            assertTrue(e.getMessage().contains("MATCH"), e.getMessage());

            e = refused(v, "two", "/a -> b.wasm", hello);
            assertEquals(400, e.status());

            e =
                    assertThrows(
                            UploadException.class,
                            () ->
                                    v.uploads()
                                            .deploy(
                                                    "two",
                                                    "/two",
                                                    Duration.ofDays(2),
                                                    null,
                                                    List.of(),
                                                    hello));
            assertEquals(400, e.status());
            assertTrue(e.getMessage().contains("deployments.maxTtl"), e.getMessage());

            v.uploads().deploy("two", "/two", null, null, List.of(), hello);
            v.uploads().deploy("three", "/three", null, null, List.of(), hello);
            e = refused(v, "four", "/four", hello);
            assertEquals(409, e.status());
            assertTrue(e.getMessage().contains("deployments.max"), e.getMessage());

            assertEquals(
                    List.of("one", "two", "three"),
                    v.uploads().list().stream().map(DeploymentInfo::id).toList());
            assertEquals("Hello, world!", body(get(v, "/one/x")), "the first upload still serves");
        }
    }

    @Test
    void routeParametersApplyToUploads() throws Exception {
        try (Vivarium v = start()) {
            v.uploads()
                    .deploy(
                            "slow",
                            "/slow",
                            null,
                            Duration.ofMillis(200),
                            List.of(),
                            module("wat/fixtures/loop_forever.wat"));
            Outcome o = get(v, "/slow");
            assertEquals(504, o.status(), o::toString);
            assertTrue(o.message().contains("200 ms"), o.message());
        }
    }

    @Test
    void anEngineWithoutConfiguredRoutesStartsWhenTheAdminApiIsOn() {
        assertThrows(ConfigurationException.class, () -> start(u -> {}));
        try (Vivarium v = start(u -> u.adminToken("0123456789abcdef0123"))) {
            assertEquals(List.of(), v.uploads().list());
        }
    }

    @Test
    void settingsAreCheckedNamingTheSetting() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> UploadOptions.builder(deployDir).adminToken("short"));
        assertTrue(e.getMessage().contains("admin.token"), e.getMessage());
        e =
                assertThrows(
                        ConfigurationException.class,
                        () -> UploadOptions.builder(deployDir).adminPath("/x/"));
        assertTrue(e.getMessage().contains("admin.path"), e.getMessage());
        e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                UploadOptions.builder(deployDir)
                                        .defaultTtl(Duration.ofDays(2))
                                        .build());
        assertTrue(e.getMessage().contains("deployments.maxTtl"), e.getMessage());
    }

    @Test
    void aRefusedReplacementLeavesTheLiveDeploymentAndItsStoreAlone() throws Exception {
        byte[] counter = module("wat/fixtures/kv_counter.wat");
        try (Vivarium v = start()) {
            v.uploads().deploy("counter", "/c", Duration.ofHours(24), null, List.of(), counter);
            assertEquals("1\n", body(get(v, "/c")));
            var before = v.kvStores().stats("counter").expiresAt();
            UploadException e =
                    assertThrows(
                            UploadException.class,
                            () ->
                                    v.uploads()
                                            .deploy(
                                                    "counter",
                                                    "/c",
                                                    Duration.ofSeconds(1),
                                                    null,
                                                    List.of("ftp://x.example"),
                                                    counter));
            assertEquals(400, e.status());
            assertEquals(before, v.kvStores().stats("counter").expiresAt(), "lifetime kept");
            clock.advance(Duration.ofSeconds(2));
            assertEquals(List.of(), v.kvStores().runExpiry().deletedStores());
            assertEquals(List.of(), v.uploads().expire());
            assertEquals("2\n", body(get(v, "/c")), "the live version and its store go on");
        }
    }

    @Test
    void aRequestRoutedBeforeItsDeploymentWasRemovedDoesNotBringTheStoreBack() throws Exception {
        byte[] counter = module("wat/fixtures/kv_counter.wat");
        try (Vivarium v = start()) {
            v.uploads().deploy("counter", "/c", null, null, List.of(), counter);
            assertEquals("1\n", body(get(v, "/c")));
            var routed = v.route("localhost", "/c");
            v.uploads().remove("counter");
            Outcome late =
                    v.handle(
                            routed,
                            new GuestRequest(
                                    "GET", "/c", "localhost", new Headers(), null, "127.0.0.1"));
            assertEquals(503, late.status(), late::toString);
            assertEquals(
                    "deployment counter was removed while the request ran in counter.wat",
                    late.message());
            // and had it run, its store would not have come back either
            var e =
                    assertThrows(
                            dev.vivarium.core.kv.KvUnavailableException.class,
                            () -> routed.deployment().kv().get("count"));
            assertTrue(e.getMessage().contains("was deleted with its deployment"), e.getMessage());
            assertFalse(v.kvStores().deployments().contains("counter"), "no store re-created");
            v.uploads().deploy("counter", "/c", null, null, List.of(), counter);
            assertEquals("1\n", body(get(v, "/c")), "a new deployment starts empty");
        }
    }

    @Test
    void aConfiguredDeploymentThatTakesAnUploadedIdKeepsTheStoreForGood() throws Exception {
        byte[] counter = module("wat/fixtures/kv_counter.wat");
        try (Vivarium v = start()) {
            v.uploads().deploy("counter", "/up", Duration.ofHours(1), null, List.of(), counter);
            assertEquals("1\n", body(get(v, "/up")));
        }
        try (Vivarium v =
                start(
                        u -> {},
                        "/static -> wat/fixtures/hello_raw.wat; id=static",
                        "/c -> wat/fixtures/kv_counter.wat; id=counter")) {
            assertEquals(List.of(), v.uploads().list(), "the upload is dropped");
            assertFalse(Files.exists(deployDir.resolve("counter.deployment")));
            assertFalse(Files.exists(deployDir.resolve("counter.wat")));
            assertEquals("2\n", body(get(v, "/c")), "the configured deployment has the store");
            assertNull(v.kvStores().stats("counter").expiresAt(), "no lifetime left");
            clock.advance(Duration.ofHours(2));
            assertEquals(List.of(), v.kvStores().runExpiry().deletedStores());
            assertEquals("3\n", body(get(v, "/c")));
        }
    }

    @Test
    void aConfiguredRouteUnderTheAdminPathIsRefused() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                start(
                                        u -> u.adminToken("0123456789abcdef0123"),
                                        "/_vivarium/x -> wat/fixtures/hello_raw.wat"));
        assertEquals(
                "route '/_vivarium/x -> wat/fixtures/hello_raw.wat' is under the admin API's path"
                        + " /_vivarium, which takes every request there: move the route or set"
                        + " admin.path",
                e.getMessage());
        // without the admin API the path is the site's
        try (Vivarium v = start(u -> {}, "/_vivarium/x -> wat/fixtures/hello_raw.wat")) {
            assertEquals("Hello, world!", body(get(v, "/_vivarium/x")));
        }
    }

    @Test
    void aBadRouteIsNamedAsTheUploadsNotTheSettings() throws Exception {
        byte[] hello = module("wat/fixtures/hello_raw.wat");
        try (Vivarium v = start()) {
            UploadException e = refused(v, "q", "/q?x=1", hello);
            assertEquals(400, e.status());
            assertEquals(
                    "invalid route '/q?x=1 -> q.wat; id=q' in the upload's parameters: path"
                            + " '/q?x=1' has a query or fragment, but routes match the path alone:"
                            + " write '/q'",
                    e.getMessage());
        }
    }

    @Test
    void nothingCanBeUploadedOnceTheEngineIsClosed() throws Exception {
        byte[] hello = module("wat/fixtures/hello_raw.wat");
        Vivarium v = start();
        v.close();
        UploadException e = refused(v, "late", "/late", hello);
        assertEquals(503, e.status());
        assertFalse(Files.exists(deployDir.resolve("late.deployment")), "nothing written");
    }
}
