package dev.vivarium.core.deploy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.core.testing.WasmBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 through the admin API: hostile uploads get a JSON 400 or 413 that names what was wrong,
 * never an empty 500, and an {@code Error} inside the API is still answered as JSON.
 */
@Timeout(120)
class HostileUploadsTest {
    static final String TOKEN = "s3cret-admin-token-for-tests";

    @TempDir Path kvDir;

    /** A clock that throws an {@code Error} on the test's thread while armed. */
    static final class FailingClock extends Clock {
        volatile Thread failOn;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            if (Thread.currentThread() == failOn) {
                throw new OutOfMemoryError("test: Java heap space");
            }
            return Instant.now();
        }
    }

    Vivarium start(Clock clock) {
        Map<String, String> s = new HashMap<>();
        s.put("routes", "/static -> wat/fixtures/hello_raw.wat; id=static");
        s.put("poolSize", "1");
        s.put("admin.token", TOKEN);
        s.put("maxRequestBodySize", "16MB");
        return Vivarium.builder(VivariumOptions.parse(s, TestGuests.root(), kvDir))
                .clock(clock)
                .start();
    }

    static Outcome put(Vivarium v, String id, byte[] module) {
        return AdminApiTest.send(
                v, "PUT", "/_vivarium/deployments/" + id + "?route=/" + id + "/*", TOKEN, module);
    }

    static String text(Outcome o) {
        return new String(o.body(), UTF_8);
    }

    static byte[] run(WasmBytes body) {
        return WasmBytes.module(
                WasmBytes.runTypeSection(),
                WasmBytes.functions(1),
                WasmBytes.exportRun(),
                WasmBytes.code(body));
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aMillionTargetBrTableIs413WithAClearMessage() {
        WasmBytes b = WasmBytes.body().b(0x02, 0x40).b(0x41, 0x00).b(0x0e).u32(1_000_000);
        for (int i = 0; i < 1_000_000; i++) {
            b.u32(0);
        }
        b.u32(0).b(0x0b);
        try (Vivarium v = start(Clock.systemUTC())) {
            // before: compiled for 240 s (holding the deployments lock), then a 400
            Outcome o = put(v, "br", run(b));
            assertEquals(413, o.status(), text(o));
            assertEquals("application/json", o.headers().first("content-type"));
            assertEquals(
                    "{\"error\":\"br.wasm: a br_table in function 0 has 1000000 targets; one"
                            + " br_table can have at most 16384 (more cannot be compiled to JVM"
                            + " bytecode)\"}",
                    text(o));
        }
    }

    @Test
    void aGcModuleIs400NamingTheProposal() {
        WasmBytes types = new WasmBytes().u32(2).b(0x5e, 0x78, 0x00).b(0x60).u32(0).u32(0);
        byte[] gc =
                WasmBytes.module(
                        WasmBytes.section(1, types),
                        WasmBytes.section(3, new WasmBytes().u32(1).u32(1)),
                        WasmBytes.exportRun(),
                        WasmBytes.code(
                                WasmBytes.body()
                                        .b(0x03, 0x40, 0x41)
                                        .s32(1_000_000)
                                        .b(0xfb, 0x07, 0x00, 0x1a, 0x0c, 0x00, 0x0b)));
        try (Vivarium v = start(Clock.systemUTC())) {
            Outcome o = put(v, "gc", gc);
            assertEquals(400, o.status(), text(o));
            assertTrue(
                    text(o).startsWith(
                                    "{\"error\":\"gc.wasm: uses the GC proposal (an array type"
                                            + " (type 0));"),
                    text(o));
        }
    }

    @Test
    void anErrorInTheAdminApiIsAJson500() throws Exception {
        FailingClock clock = new FailingClock();
        byte[] hello = Files.readAllBytes(TestGuests.watFixtures().resolve("hello_raw.wat"));
        try (Vivarium v = start(clock)) {
            clock.failOn = Thread.currentThread();
            Outcome o;
            try {
                // before: the OutOfMemoryError went up to the container, an empty 500
                o = put(v, "demo", hello);
            } finally {
                clock.failOn = null;
            }
            assertEquals(500, o.status(), text(o));
            assertEquals("application/json", o.headers().first("content-type"));
            assertEquals("{\"error\":\"internal error; the server log has the details\"}", text(o));
            // and the API goes on answering
            assertEquals(201, put(v, "demo", hello).status());
        }
    }
}
