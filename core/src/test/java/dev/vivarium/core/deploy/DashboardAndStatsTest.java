package dev.vivarium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.MutableClock;
import dev.vivarium.core.log.LogBuffer;
import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.core.testing.TestMemory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API's {@code /stats} and dashboard files, and what a deployment leaves behind when it
 * is removed or expires: nothing (its log buffer is dropped and closed, its meters removed).
 */
@Timeout(120)
class DashboardAndStatsTest {
    static final String TOKEN = AdminApiTest.TOKEN;

    /** Prints one line with hostcall_debug, answers 200. */
    static final String TALKER =
            "(module (import \"env\" \"hostcall_debug\" (func $d (param i32 i32)))"
                    + " (memory 1) (data (i32.const 0) \"hello from talk\")"
                    + " (func (export \"run\") (call $d (i32.const 0) (i32.const 15))))";

    @TempDir Path dir;
    final MutableClock clock = new MutableClock();

    Vivarium start() {
        return Vivarium.builder(
                        VivariumOptions.builder()
                                .guestDirectory(TestGuests.root())
                                .poolSize(1)
                                .kv(KvOptions.defaults(dir.resolve("kv")))
                                .uploads(
                                        UploadOptions.builder(dir.resolve("deployments"))
                                                .adminToken(TOKEN)
                                                .build())
                                .route("/hello -> wat/fixtures/hello_raw.wat; id=hello")
                                .build())
                .clock(clock)
                .start();
    }

    static String body(Outcome o) {
        return new String(o.body(), StandardCharsets.UTF_8);
    }

    static void upload(Vivarium v, String ttl) {
        Outcome put =
                AdminApiTest.send(
                        v,
                        "PUT",
                        "/_vivarium/deployments/talk?route=/talk&ttl=" + ttl,
                        TOKEN,
                        TALKER.getBytes(StandardCharsets.UTF_8));
        assertEquals(201, put.status(), body(put));
    }

    static void call(Vivarium v, String path) {
        Outcome o =
                v.handle(v.route("h", path), TestMemory.request("GET", path, new Headers(), null));
        assertEquals(200, o.status(), o::toString);
    }

    static long metersOf(Vivarium v, String id) {
        return v.meterRegistry().getMeters().stream()
                .filter(m -> id.equals(m.getId().getTag("deployment")))
                .count();
    }

    @Test
    void removingADeploymentDropsItsLogBufferAndMeters() {
        try (Vivarium v = start()) {
            upload(v, "1h");
            call(v, "/talk");
            LogBuffer log = v.logs("talk");
            assertEquals(1, log.lastSeq());
            assertTrue(metersOf(v, "talk") > 0);

            assertTrue(v.uploads().remove("talk"));
            assertTrue(log.isClosed(), "its followers are told");
            assertEquals(0, metersOf(v, "talk"), "its meters are gone");
            upload(v, "1h");
            assertNotSame(log, v.logs("talk"));
            assertEquals(0, v.logs("talk").lastSeq(), "a new deployment of the id starts empty");
            assertTrue(
                    body(AdminApiTest.send(
                                    v, "GET", "/_vivarium/deployments/talk/logs", TOKEN, null))
                            .endsWith("\"entries\":[]}"));
        }
    }

    @Test
    void anExpiredDeploymentDropsItsLogBufferAndMeters() {
        try (Vivarium v = start()) {
            upload(v, "1m");
            call(v, "/talk");
            LogBuffer log = v.logs("talk");
            clock.advance(Duration.ofMinutes(1));
            assertEquals(List.of("talk"), v.uploads().expire());
            assertTrue(log.isClosed());
            assertEquals(0, metersOf(v, "talk"));
            assertTrue(metersOf(v, "hello") > 0, "another deployment keeps its own");
        }
    }

    @Test
    void patchWithATtlGivesAnUploadANewLifetimeFromNow() {
        try (Vivarium v = start()) {
            upload(v, "1m");
            call(v, "/talk");
            clock.advance(Duration.ofSeconds(50));
            Outcome patched =
                    AdminApiTest.send(
                            v, "PATCH", "/_vivarium/deployments/talk?ttl=2h", TOKEN, null);
            assertEquals(200, patched.status(), body(patched));
            String expected = clock.instant().plus(Duration.ofHours(2)).toString();
            assertTrue(body(patched).contains("\"expiresAt\":\"" + expected + "\""), body(patched));
            clock.advance(Duration.ofMinutes(5));
            assertEquals(List.of(), v.uploads().expire(), "past its first lifetime, still there");
            call(v, "/talk");

            Outcome tooLong =
                    AdminApiTest.send(
                            v, "PATCH", "/_vivarium/deployments/talk?ttl=99d", TOKEN, null);
            assertEquals(400, tooLong.status(), body(tooLong));
            assertTrue(body(tooLong).contains("deployments.maxTtl"), body(tooLong));
            Outcome bad =
                    AdminApiTest.send(
                            v, "PATCH", "/_vivarium/deployments/talk?ttl=soon", TOKEN, null);
            assertEquals(400, bad.status(), body(bad));
            assertTrue(body(bad).contains("invalid ttl 'soon'"), body(bad));
            Outcome none =
                    AdminApiTest.send(v, "PATCH", "/_vivarium/deployments/talk", TOKEN, null);
            assertEquals(400, none.status(), body(none));
            Outcome configured =
                    AdminApiTest.send(
                            v, "PATCH", "/_vivarium/deployments/hello?ttl=1h", TOKEN, null);
            assertEquals(404, configured.status(), body(configured));
            clock.advance(Duration.ofHours(2));
            assertEquals(List.of("talk"), v.uploads().expire(), "gone at its new end");
        }
    }

    @Test
    void statsCountEachDeploymentsRequestsWithTheirLatencyHistogram() {
        try (Vivarium v = start()) {
            upload(v, "1h");
            for (int i = 0; i < 3; i++) {
                call(v, "/talk");
            }
            call(v, "/hello");
            Outcome stats = AdminApiTest.send(v, "GET", "/_vivarium/stats", TOKEN, null);
            assertEquals(200, stats.status(), body(stats));
            assertEquals("application/json", stats.headers().first("content-type"));
            String json = body(stats);
            assertTrue(json.startsWith("{\"time\":\""), json);
            assertTrue(json.contains(",\"memory\":{\"used\":"), json);
            int talk = json.indexOf("{\"id\":\"talk\"");
            assertTrue(talk > 0, json);
            String t = json.substring(talk);
            assertTrue(t.contains("\"ok\":3,"), t);
            assertTrue(t.contains("\"latency\":{\"count\":3,"), t);
            assertTrue(t.contains("\"buckets\":[[5.0E-4,"), "a histogram from 0.5 ms: " + t);
            assertTrue(t.contains("\"log\":{\"lines\":3,\"dropped\":0}"), t);
            assertTrue(json.contains("{\"id\":\"hello\",\"requests\":{"), json);

            assertEquals(401, AdminApiTest.send(v, "GET", "/_vivarium/stats", null, null).status());
            assertEquals(
                    405, AdminApiTest.send(v, "POST", "/_vivarium/stats", TOKEN, null).status());
        }
    }

    @Test
    void theDashboardsFilesNeedNoTokenAndLoadOnlyFromTheirOrigin() {
        try (Vivarium v = start()) {
            Outcome page = AdminApiTest.send(v, "GET", "/_vivarium/dashboard/", null, null);
            assertEquals(200, page.status(), page::toString);
            assertEquals("text/html;charset=utf-8", page.headers().first("content-type"));
            assertTrue(body(page).contains("<script src=\"dashboard.js\""), body(page));
            String csp = page.headers().first("content-security-policy");
            assertTrue(csp.startsWith("default-src 'none'; script-src 'self';"), csp);
            for (String file : List.of("dashboard.js", "dashboard.css")) {
                Outcome o = AdminApiTest.send(v, "GET", "/_vivarium/dashboard/" + file, null, null);
                assertEquals(200, o.status(), file);
                assertTrue(o.body().length > 1000, file);
            }
            Outcome bare = AdminApiTest.send(v, "GET", "/_vivarium/dashboard", null, null);
            assertEquals(308, bare.status());
            assertEquals("dashboard/", bare.headers().first("location"));
            // nothing else is served without the token
            assertEquals(
                    401,
                    AdminApiTest.send(v, "GET", "/_vivarium/dashboard/../deployments", null, null)
                            .status());
            assertEquals(
                    401,
                    AdminApiTest.send(v, "GET", "/_vivarium/dashboard/other.js", null, null)
                            .status());
            assertEquals(
                    401,
                    AdminApiTest.send(v, "DELETE", "/_vivarium/dashboard/", null, null).status());
        }
    }
}
