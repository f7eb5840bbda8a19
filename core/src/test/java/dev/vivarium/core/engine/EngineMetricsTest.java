package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.deploy.UploadException;
import dev.vivarium.core.deploy.UploadOptions;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.TestGuests;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The engine's Micrometer meters, read from a real registry around real requests and uploads. */
@Timeout(60)
class EngineMetricsTest {
    @TempDir Path kvDir;
    @TempDir Path deployDir;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private static long overhead(Vivarium v, String guest) {
        return v.pools().stream()
                .filter(p -> p.guest().name().equals(guest))
                .findFirst()
                .orElseThrow()
                .guest()
                .instanceOverhead();
    }

    Vivarium start() {
        return Vivarium.builder(
                        VivariumOptions.builder()
                                .guestDirectory(TestGuests.watFixtures())
                                .poolSize(2)
                                .kv(KvOptions.defaults(kvDir))
                                .uploads(UploadOptions.builder(deployDir).build())
                                .route("/hello -> hello_raw.wat")
                                .route("/panic -> panic.wat")
                                .build())
                .meterRegistry(registry)
                .start();
    }

    static Outcome get(Vivarium v, String path) {
        return v.handle(
                v.route("localhost", path),
                new GuestRequest("GET", path, "localhost", new Headers(), null, "127.0.0.1"));
    }

    double requests(String deployment, String outcome) {
        var c =
                registry.find("vivarium.requests")
                        .tag("deployment", deployment)
                        .tag("outcome", outcome)
                        .counter();
        return c == null ? -1 : c.count();
    }

    Double instances(String deployment, String state) {
        Gauge g =
                registry.find("vivarium.pool.instances")
                        .tag("deployment", deployment)
                        .tag("state", state)
                        .gauge();
        return g == null ? null : g.value();
    }

    Double created(String deployment) {
        var c =
                registry.find("vivarium.pool.instances.built")
                        .tag("deployment", deployment)
                        .functionCounter();
        return c == null ? null : c.count();
    }

    Double discarded(String deployment) {
        var c =
                registry.find("vivarium.pool.instances.discarded")
                        .tag("deployment", deployment)
                        .functionCounter();
        return c == null ? null : c.count();
    }

    List<Meter> metersOf(String deployment) {
        return registry.getMeters().stream()
                .filter(m -> deployment.equals(m.getId().getTag("deployment")))
                .toList();
    }

    @Test
    void requestsAreCountedByOutcomeAndTimed() {
        try (Vivarium v = start()) {
            get(v, "/hello");
            get(v, "/hello");
            get(v, "/panic");
            assertEquals(2, requests("hello_raw", "ok"));
            assertEquals(0, requests("hello_raw", "panic"));
            assertEquals(1, requests("panic", "panic"));
            assertEquals(
                    2,
                    registry.find("vivarium.requests")
                            .tag("deployment", "hello_raw")
                            .timer()
                            .count());
            assertEquals(2.0, instances("hello_raw", "idle"), "warmed pool");
            assertEquals(0.0, instances("hello_raw", "in_use"));
            assertEquals(2.0, created("hello_raw"));
            // the panicking instance was discarded and a new one built for the next request
            assertEquals(1.0, discarded("panic"));
            // 2 idle hello instances and the 1 panic instance left, of 1 page each, with their
            // tables, globals and per-function data
            long hello = 65536 + overhead(v, "hello_raw.wat");
            long panic = 65536 + overhead(v, "panic.wat");
            assertEquals(
                    (double) (2 * hello + panic),
                    registry.get("vivarium.memory.used").gauge().value());
            assertEquals(
                    (double) v.options().maxTotalMemory(),
                    registry.get("vivarium.memory.max").gauge().value());
        }
        assertEquals(List.of(), metersOf("hello_raw"), "closing the engine removes its meters");
        assertEquals(
                List.of(),
                registry.getMeters().stream()
                        .map(m -> m.getId().getName())
                        .filter(n -> n.startsWith("vivarium."))
                        .toList(),
                "and the engine-wide ones");
    }

    @Test
    void anUploadsMetersFollowItsLivePoolAndGoAwayWithIt() throws Exception {
        byte[] hello = Files.readAllBytes(TestGuests.watFixtures().resolve("hello_raw.wat"));
        try (Vivarium v = start()) {
            v.uploads().deploy("up", "/up", null, null, List.of(), hello);
            get(v, "/up");
            assertEquals(1, requests("up", "ok"));
            assertEquals(1.0, created("up"), "an upload's pool starts empty: one for the request");
            assertEquals(1.0, instances("up", "idle"));

            // replacing: the gauges read the new pool, whose meters were registered while the
            // old pool's still were
            v.uploads().deploy("up", "/up", null, null, List.of(), hello);
            assertEquals(0.0, instances("up", "idle"), "the new pool starts empty");
            assertEquals(1.0, created("up"), "counts go on across versions: 1 old, 0 new");
            get(v, "/up");
            assertEquals(2, requests("up", "ok"), "counts go on across versions");
            assertEquals(2.0, created("up"), "1 old, 1 new");

            v.uploads().remove("up");
            assertEquals(List.of(), metersOf("up"), "no meters left for a removed upload");
            assertNotNull(instances("hello_raw", "idle"), "others keep theirs");
        }
    }

    @Test
    void aRefusedUploadLeavesNoPoolAndNoMeters() throws Exception {
        byte[] hello = Files.readAllBytes(TestGuests.watFixtures().resolve("hello_raw.wat"));
        try (Vivarium v = start()) {
            assertThrows(
                    UploadException.class,
                    () ->
                            v.uploads()
                                    .deploy(
                                            "up",
                                            "/up",
                                            null,
                                            null,
                                            List.of("ftp://bad.example"),
                                            hello));
            assertEquals(List.of(), metersOf("up"));
            v.uploads().deploy("up", "/up", null, null, List.of(), hello);
            get(v, "/up");
            assertEquals(1.0, created("up"), "only the live pool");
        }
    }

    @Test
    void routesOfOneDeploymentShareItsMeters(@TempDir Path other) throws Exception {
        Files.copy(TestGuests.watFixtures().resolve("hello_raw.wat"), other.resolve("panic.wat"));
        try (Vivarium v =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(TestGuests.watFixtures())
                                        .poolSize(1)
                                        .route("/a -> panic.wat")
                                        .route("/b -> " + other.resolve("panic.wat"))
                                        .build())
                        .meterRegistry(registry)
                        .start()) {
            get(v, "/a");
            get(v, "/b");
            assertEquals(1, requests("panic", "panic"));
            assertEquals(1, requests("panic", "ok"));
            assertEquals(2.0, created("panic"), "both pools, summed");
        }
        assertNull(instances("panic", "idle"));
    }

    @Test
    void deploymentsOfOneGuestFileCountTheirRequestsApartAndReadTheSharedPool() {
        try (Vivarium v =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(TestGuests.watFixtures())
                                        .poolSize(1)
                                        .route("/x -> hello_raw.wat; id=x")
                                        .route("/y -> hello_raw.wat; id=y")
                                        .build())
                        .meterRegistry(registry)
                        .start()) {
            get(v, "/x");
            get(v, "/x");
            get(v, "/y");
            assertEquals(2, requests("x", "ok"));
            assertEquals(1, requests("y", "ok"));
            assertEquals(1.0, instances("x", "idle"), "one pool for the one guest file");
            assertEquals(1.0, instances("y", "idle"));
            assertEquals(-1, requests("hello_raw", "ok"), "named by deployment, not by file");
        }
    }
}
