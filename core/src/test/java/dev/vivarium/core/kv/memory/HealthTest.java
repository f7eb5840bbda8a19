package dev.vivarium.core.kv.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.MemoryExchange;
import dev.vivarium.core.testing.TestEngine;
import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /__health} over a KV backend that becomes unreachable: 200 and ready, then 503 with the
 * {@code kv} check down while it is unreachable, then 200 again once it is back.
 */
@Timeout(60)
class HealthTest {
    final String space = "health-" + UUID.randomUUID();

    @TempDir Path tmp;

    @AfterEach
    void reachableAgain() {
        MemoryKvBackend.space(space).reachable(true);
    }

    Vivarium start(java.util.function.Consumer<VivariumOptions.Builder> tweak) {
        VivariumOptions.Builder b =
                VivariumOptions.builder()
                        .guestDirectory(TestGuests.watFixtures())
                        .poolSize(1)
                        .route("/hello -> hello_raw.wat")
                        .kv(
                                KvOptions.builder(tmp)
                                        .backend(MemoryKvBackend.NAME)
                                        .backendSetting(MemoryKvBackend.SPACE, space)
                                        .build());
        tweak.accept(b);
        return Vivarium.builder(b.build()).start();
    }

    static Outcome get(Vivarium v, String path) throws IOException {
        MemoryExchange x = new MemoryExchange("GET", path, "any.host", null, null, "192.0.2.7");
        assertTrue(v.serve(x), path + " is served");
        return x.outcome();
    }

    static String body(Outcome o) {
        return new String(o.body(), StandardCharsets.UTF_8);
    }

    @Test
    void turns503WhileTheKvBackendIsUnreachableAndBack200After() throws IOException {
        try (Vivarium v = start(b -> {})) {
            Outcome up = get(v, "/__health");
            assertEquals(200, up.status(), body(up));
            assertEquals("application/json", up.headers().first("content-type"));
            assertTrue(body(up).startsWith("{\"status\":\"UP\",\"live\":true,\"ready\":true,"));
            for (String check :
                    new String[] {"engine", "deployments", "kv", "watchdog", "expiry"}) {
                assertTrue(
                        body(up).contains("\"" + check + "\":{\"status\":\"UP\""),
                        check + " in " + body(up));
            }

            MemoryKvBackend.space(space).reachable(false);
            Outcome down = get(v, "/__health");
            assertEquals(503, down.status(), body(down));
            assertTrue(
                    body(down).startsWith("{\"status\":\"DOWN\",\"live\":true,\"ready\":false,"));
            assertTrue(body(down).contains("\"kv\":{\"status\":\"DOWN\""), body(down));
            assertTrue(body(down).contains("\"engine\":{\"status\":\"UP\""), body(down));
            assertFalse(v.health().ready());

            MemoryKvBackend.space(space).reachable(true);
            Outcome again = get(v, "/__health");
            assertEquals(200, again.status(), body(again));
            assertTrue(v.health().ready());
        }
    }

    @Test
    void aClosedEngineIsNotReady() {
        Vivarium v = start(b -> {});
        v.close();
        assertEquals(503, v.health().httpStatus());
        assertEquals(
                new dev.vivarium.core.Health.Check(false, "closed"),
                v.health().checks().get("engine"));
    }

    @Test
    void answersAtHealthPathAndNotWhenDisabled() throws IOException {
        try (Vivarium v = start(b -> b.healthPath("/ops/health"))) {
            assertEquals(200, get(v, "/ops/health").status());
            assertFalse(
                    v.serve(new MemoryExchange("GET", "/__health", "h", null, null, "192.0.2.7")));
        }
        try (Vivarium v = start(b -> b.healthEnabled(false))) {
            assertFalse(
                    v.serve(new MemoryExchange("GET", "/__health", "h", null, null, "192.0.2.7")));
        }
    }

    @Test
    void refusesAHealthPathThatIsNotAPath() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                VivariumOptions.parse(
                                        Map.of("routes", "/a -> a.wasm", "health.path", "health/"),
                                        tmp,
                                        tmp));
        assertTrue(e.getMessage().contains("health.path"), e.getMessage());
    }

    @Test
    void otherMethodsGet405() throws IOException {
        try (TestEngine t = TestEngine.wat("/hello -> hello_raw.wat")) {
            MemoryExchange x =
                    new MemoryExchange("POST", "/__health", "h", null, null, "192.0.2.7");
            assertTrue(t.engine.serve(x));
            assertEquals(405, x.outcome().status());
            assertEquals("GET, HEAD", x.outcome().headers().first("allow"));
        }
    }
}
