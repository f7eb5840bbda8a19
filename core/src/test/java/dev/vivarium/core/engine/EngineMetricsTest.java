package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.config.VivariumOptions;
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

    double requests(String guest, String outcome) {
        var c =
                registry.find("vivarium.requests")
                        .tag("guest", guest)
                        .tag("outcome", outcome)
                        .counter();
        return c == null ? -1 : c.count();
    }

    Double gauge(String name, String guest) {
        Gauge g = registry.find(name).tag("guest", guest).gauge();
        return g == null ? null : g.value();
    }

    List<Meter> metersOf(String guest) {
        return registry.getMeters().stream()
                .filter(m -> guest.equals(m.getId().getTag("guest")))
                .toList();
    }

    @Test
    void requestsAreCountedByOutcomeAndTimed() {
        try (Vivarium v = start()) {
            get(v, "/hello");
            get(v, "/hello");
            get(v, "/panic");
            assertEquals(2, requests("hello_raw.wat", "ok"));
            assertEquals(0, requests("hello_raw.wat", "panic"));
            assertEquals(1, requests("panic.wat", "panic"));
            assertEquals(
                    2,
                    registry.find("vivarium.request.duration")
                            .tag("guest", "hello_raw.wat")
                            .timer()
                            .count());
            assertEquals(2.0, gauge("vivarium.pool.idle", "hello_raw.wat"), "warmed pool");
            assertEquals(0.0, gauge("vivarium.pool.in.use", "hello_raw.wat"));
            assertEquals(2.0, gauge("vivarium.pool.created", "hello_raw.wat"));
            // the panicking instance was discarded and a new one built for the next request
            assertEquals(1.0, gauge("vivarium.pool.discarded", "panic.wat"));
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
        assertEquals(List.of(), metersOf("hello_raw.wat"), "closing the engine removes its meters");
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
            assertEquals(1, requests("up.wat", "ok"));
            assertEquals(2.0, gauge("vivarium.pool.created", "up.wat"));

            // replacing: the gauges read the new pool, whose meters were registered while the
            // old pool's still were
            v.uploads().deploy("up", "/up", null, null, List.of(), hello);
            assertEquals(2.0, gauge("vivarium.pool.idle", "up.wat"));
            assertEquals(2.0, gauge("vivarium.pool.created", "up.wat"), "only the new pool");
            get(v, "/up");
            assertEquals(2, requests("up.wat", "ok"), "counts go on across versions");

            v.uploads().remove("up");
            assertEquals(List.of(), metersOf("up.wat"), "no meters left for a removed upload");
            assertNotNull(gauge("vivarium.pool.idle", "hello_raw.wat"), "others keep theirs");
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
            assertEquals(List.of(), metersOf("up.wat"));
            v.uploads().deploy("up", "/up", null, null, List.of(), hello);
            assertEquals(2.0, gauge("vivarium.pool.created", "up.wat"), "only the live pool");
        }
    }

    @Test
    void guestsOfTheSameNameShareTheirMeters(@TempDir Path other) throws Exception {
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
            assertEquals(1, requests("panic.wat", "panic"));
            assertEquals(1, requests("panic.wat", "ok"));
            assertEquals(2.0, gauge("vivarium.pool.created", "panic.wat"), "both pools, summed");
        }
        assertNull(gauge("vivarium.pool.idle", "panic.wat"));
    }
}
