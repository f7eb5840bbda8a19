package dev.vivarium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.log.LogBuffer;
import dev.vivarium.core.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each deployment's guest output and faults in its bounded buffer, served by the admin API's {@code
 * GET /deployments/ID/logs}.
 */
@Timeout(120)
class DeploymentLogsTest {
    static final String TOKEN = AdminApiTest.TOKEN;

    @TempDir Path kvDir;

    Vivarium start(int bufferLines) {
        Map<String, String> s = new HashMap<>();
        s.put(
                "routes",
                "/flood -> wat/fixtures/debug_flood.wat; id=flood\n"
                        + "/trap -> wat/fixtures/trap_div.wat; id=trap");
        s.put("poolSize", "1");
        s.put("admin.token", TOKEN);
        s.put("guestLog.bufferLines", Integer.toString(bufferLines));
        s.put("guestLog.maxLines", "5");
        return Vivarium.builder(VivariumOptions.parse(s, TestGuests.root(), kvDir)).start();
    }

    static String body(Outcome o) {
        return new String(o.body(), StandardCharsets.UTF_8);
    }

    static Outcome get(Vivarium v, String target) {
        return AdminApiTest.send(v, "GET", target, TOKEN, null);
    }

    @Test
    void keepsTheLastLinesOfADeploymentDroppingAndCountingTheOldest() {
        try (Vivarium v = start(8)) {
            // guestLog.maxLines 5 per request: two requests add 10 lines to a buffer of 8
            v.handle(
                    v.route("h", "/flood"),
                    dev.vivarium.core.testing.TestMemory.request(
                            "GET", "/flood", new dev.vivarium.core.Headers(), null));
            v.handle(
                    v.route("h", "/flood"),
                    dev.vivarium.core.testing.TestMemory.request(
                            "GET", "/flood", new dev.vivarium.core.Headers(), null));
            LogBuffer buffer = v.logs("flood");
            List<LogBuffer.Entry> entries = buffer.after(0);
            assertEquals(8, entries.size());
            assertEquals(2, buffer.dropped());
            assertEquals(3, entries.get(0).seq(), "the two oldest were dropped");
            assertEquals(10, entries.get(7).seq());
            assertEquals("guest", entries.get(0).stream());

            Outcome logs = get(v, "/_vivarium/deployments/flood/logs?after=8");
            assertEquals(200, logs.status(), body(logs));
            assertEquals("application/json", logs.headers().first("content-type"));
            String json = body(logs);
            assertTrue(
                    json.startsWith("{\"deployment\":\"flood\",\"dropped\":2,\"entries\":["), json);
            assertTrue(json.contains("{\"seq\":9,\"time\":\""), json);
            assertTrue(json.contains("{\"seq\":10,"), json);
            assertTrue(!json.contains("\"seq\":8,"), json);
        }
    }

    @Test
    void aTrapIsAFaultEntryOfItsDeployment() {
        try (Vivarium v = start(100)) {
            Outcome trapped =
                    v.handle(
                            v.route("h", "/trap"),
                            dev.vivarium.core.testing.TestMemory.request(
                                    "GET", "/trap", new dev.vivarium.core.Headers(), null));
            assertEquals(500, trapped.status());
            String json = body(get(v, "/_vivarium/deployments/trap/logs"));
            assertTrue(json.contains("\"stream\":\"fault\",\"text\":\"trap 500 /trap: "), json);
            assertTrue(
                    body(get(v, "/_vivarium/deployments/flood/logs")).endsWith("\"entries\":[]}"),
                    "another deployment's buffer is its own");
        }
    }

    @Test
    void refusesAnUnknownDeploymentABadAfterAndOtherMethods() {
        try (Vivarium v = start(10)) {
            Outcome none = get(v, "/_vivarium/deployments/nope/logs");
            assertEquals(404, none.status());
            assertTrue(body(none).contains("no deployment 'nope'"), body(none));
            Outcome bad = get(v, "/_vivarium/deployments/flood/logs?after=x");
            assertEquals(400, bad.status());
            assertTrue(body(bad).contains("after must be a sequence number"), body(bad));
            Outcome put =
                    AdminApiTest.send(v, "PUT", "/_vivarium/deployments/flood/logs", TOKEN, null);
            assertEquals(405, put.status());
            Outcome noToken =
                    AdminApiTest.send(v, "GET", "/_vivarium/deployments/flood/logs", null, null);
            assertEquals(401, noToken.status());
        }
    }
}
