package dev.vivarium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.log.RefusalLog;
import dev.vivarium.core.testing.TestGuests;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 item 5 through the engine, as the attack ran: thousands of anonymous 401s with 7 KB
 * paths, and a guest calling {@code hostcall_debug} in a loop. What reaches the log (slf4j-simple
 * writes to {@code System.err}, captured here) is a few short lines, not hundreds of megabytes; and
 * the upload parameters set a deployment's admission limits (item 7).
 */
@Timeout(120)
class AdminFloodTest {
    static {
        // the build logs WARN and up; guest lines are INFO (a logger created after this)
        System.setProperty("org.slf4j.simpleLogger.log.vivarium.guest", "info");
    }

    @TempDir Path kvDir;

    private Vivarium start() {
        return Vivarium.builder(
                        VivariumOptions.parse(
                                Map.of(
                                        "routes",
                                        "/static -> wat/fixtures/hello_raw.wat; id=static",
                                        "poolSize",
                                        "1",
                                        "admin.token",
                                        AdminApiTest.TOKEN),
                                TestGuests.root(),
                                kvDir))
                .start();
    }

    private static Outcome send(Vivarium v, String method, String path, String token, byte[] body) {
        return AdminApiTest.send(v, method, path, token, body);
    }

    private static String text(Outcome o) {
        return AdminApiTest.text(o);
    }

    /** Runs {@code r} and returns what the log got meanwhile. */
    private static String logOf(Runnable r) {
        PrintStream err = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(err);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void thousandsOfAnonymous401sWithLongPathsWriteAFewShortLines() {
        try (Vivarium v = start()) {
            String path = "/_vivarium/deployments/" + "x".repeat(7000);
            long before = AdminApi.refusals().suppressed();
            long start = System.nanoTime();
            for (int i = 0; i < 2000; i++) {
                Outcome o = send(v, "GET", path, null, null);
                assertEquals(401, o.status());
            }
            long seconds = (System.nanoTime() - start) / 1_000_000_000L + 1;
            long suppressed = AdminApi.refusals().suppressed() - before;
            // at most RefusalLog.DEFAULT_PER_SECOND lines in each second the loop took
            assertTrue(
                    2000 - suppressed <= (seconds + 1) * RefusalLog.DEFAULT_PER_SECOND,
                    (2000 - suppressed) + " lines written in " + seconds + " s");
        }
    }

    @Test
    void aGuestLoggingInALoopWritesItsBudgetAndOneDroppedLine() throws Exception {
        try (Vivarium v =
                Vivarium.builder(
                                dev.vivarium.core.VivariumOptions.builder()
                                        .guestDirectory(TestGuests.watFixtures())
                                        .poolSize(1)
                                        .route("/flood -> debug_flood.wat")
                                        .build())
                        .start()) {
            String log =
                    logOf(
                            () -> {
                                Outcome o =
                                        v.handle(
                                                v.route("x", "/flood"),
                                                new dev.vivarium.core.GuestRequest(
                                                        "GET",
                                                        "/flood",
                                                        "x",
                                                        new dev.vivarium.core.Headers(),
                                                        null,
                                                        "127.0.0.1"));
                                assertEquals(200, o.status(), o.toString());
                            });
            long lines = log.lines().filter(l -> l.contains("[debug_flood.wat /flood]")).count();
            // 65 lines of 1000 bytes fit in the 64 KiB budget; then the one dropped line
            assertEquals(66, lines, log.length() + " bytes of log");
            assertTrue(log.contains("99935 lines (99935000 bytes) of guest output dropped"), log);
            assertTrue(log.length() < 100_000, log.length() + " bytes, not 100 MB");
        }
    }

    @Test
    void uploadParametersSetTheDeploymentsAdmissionLimits() throws Exception {
        try (Vivarium v = start()) {
            byte[] wat = Files.readAllBytes(TestGuests.watFixtures().resolve("hello_raw.wat"));
            Outcome put =
                    send(
                            v,
                            "PUT",
                            "/_vivarium/deployments/limited?route=/limited&maxConcurrent=2&maxQueued=3",
                            AdminApiTest.TOKEN,
                            wat);
            assertEquals(201, put.status(), text(put));
            var a = v.route("x", "/limited").deployment().admission();
            assertEquals(
                    Map.of("running", 2, "queued", 3),
                    Map.of("running", a.maxConcurrent(), "queued", a.maxQueued()));
            Outcome bad =
                    send(
                            v,
                            "PUT",
                            "/_vivarium/deployments/limited?route=/limited&maxConcurrent=0",
                            AdminApiTest.TOKEN,
                            wat);
            assertEquals(400, bad.status());
            assertTrue(
                    text(bad).contains("maxConcurrent '0' must be a whole number from 1"),
                    text(bad));
        }
    }
}
