package dev.vivarium.kv.postgresql;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.MemoryExchange;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /__health} with {@code kv.backend=postgresql} on a real PostgreSQL that crashes and comes
 * back: 200 while it answers, 503 with the KV check down (and the readiness false, the liveness
 * true) while it does not, 200 again once it is back, with no restart of the engine.
 */
@Timeout(180)
class HealthWithPostgresTest {
    static TestPostgres db;

    @BeforeAll
    static void startDatabase() {
        db = TestPostgres.start("health");
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    static Outcome health(Vivarium v) throws Exception {
        MemoryExchange x = new MemoryExchange("GET", "/__health", "localhost", null, null, "");
        assertTrue(v.serve(x));
        return x.outcome();
    }

    static String body(Outcome o) {
        return new String(o.body(), UTF_8);
    }

    @Test
    void healthTurns503WhileTheDatabaseIsDownAnd200WhenItIsBack() throws Exception {
        KvOptions kv =
                KvOptions.builder(Path.of("unused"))
                        .backend(PostgresBackend.NAME)
                        .backendSetting(PgSettings.URL, db.freshSchema())
                        .backendSetting(PgSettings.USER, "postgres")
                        .backendSetting(PgSettings.TIMEOUT, "1s")
                        .build();
        try (Vivarium v =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(TestGuests.root())
                                        .poolSize(1)
                                        .route("/tally -> wat/fixtures/kv_tally.wat")
                                        .kv(kv)
                                        .build())
                        .start()) {
            Outcome up = health(v);
            assertEquals(200, up.status(), body(up));
            assertTrue(body(up).contains("\"kv\":{\"status\":\"UP\""), body(up));

            db.crash();
            Outcome down = health(v);
            assertEquals(503, down.status(), body(down));
            assertTrue(
                    body(down).startsWith("{\"status\":\"DOWN\",\"live\":true,\"ready\":false,"),
                    body(down));
            assertTrue(body(down).contains("\"kv\":{\"status\":\"DOWN\""), body(down));

            db.restart();
            long end = System.nanoTime() + 60_000_000_000L;
            Outcome back = health(v);
            while (back.status() != 200 && System.nanoTime() < end) {
                Thread.sleep(200);
                back = health(v);
            }
            assertEquals(200, back.status(), body(back));
            assertTrue(body(back).contains("\"kv\":{\"status\":\"UP\""), body(back));
        }
    }
}
