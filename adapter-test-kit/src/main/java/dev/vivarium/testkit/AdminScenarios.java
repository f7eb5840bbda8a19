package dev.vivarium.testkit;

import static dev.vivarium.testkit.KitContext.admin;
import static dev.vivarium.testkit.KitContext.messages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The admin API and the health check through the adapter, and start-up failures that name what is
 * wrong. Part of the kit every adapter runs through {@link AdapterScenarios}.
 */
@Timeout(120)
public interface AdminScenarios extends KitContext {
    @Test
    default void answersHealthAsJsonWithEveryCheckUp() throws Exception {
        HttpTester.Response health = server().get("/__health");
        assertEquals(200, health.getStatus(), health.toString());
        assertEquals("application/json", health.get("content-type"));
        String body = health.getContent();
        assertTrue(body.startsWith("{\"status\":\"UP\",\"live\":true,\"ready\":true,"), body);
        for (String check : List.of("engine", "deployments", "kv", "watchdog", "expiry")) {
            assertTrue(body.contains("\"" + check + "\":{\"status\":\"UP\""), check + ": " + body);
        }
        HttpTester.Response post = server().send(KitServer.request("POST", "/__health"));
        assertEquals(405, post.getStatus(), post.toString());
    }

    @Test
    default void healthPathMovesTheHealthCheckAndHealthEnabledTurnsItOff() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("routes", "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kvDirectory().resolve("health").toString());
        s.put("poolSize", "1");
        s.put("health.path", "/ops/health");
        try (KitServer server = start(s, "")) {
            HttpTester.Response moved = server.get("/ops/health");
            assertEquals(200, moved.getStatus(), moved.toString());
            assertTrue(moved.getContent().contains("\"ready\":true"), moved.getContent());
            assertEquals(
                    "reached",
                    server.get("/__health").get(PassThrough.HEADER),
                    "passed on to the application");
        }
        s.put("health.enabled", "false");
        s.put("kv.directory", kvDirectory().resolve("health-off").toString());
        try (KitServer server = start(s, "")) {
            HttpTester.Response off = server.get("/ops/health");
            assertEquals("reached", off.get(PassThrough.HEADER), off.toString());
        }
    }

    /**
     * The module travels as an HTTP body, the uploaded guest answers on its route, and after
     * removal the request reaches the application again.
     */
    @ParameterizedTest(name = "context path \"{0}\"")
    @ValueSource(strings = {"", "/shop"})
    default void uploadServeAndRemoveADeployment(String context, @TempDir Path kv)
            throws Exception {
        byte[] module =
                Files.readAllBytes(TestGuests.root().resolve("wat/fixtures/echo_request.wat"));
        try (KitServer server = startWithAdmin(kv, context)) {
            HttpTester.Response before = server.get(context + "/up/x");
            assertEquals("reached", before.get(PassThrough.HEADER), "the application's");

            HttpTester.Request put =
                    admin("PUT", context + "/_vivarium/deployments/up?route=/up/*&ttl=5m", TOKEN);
            put.setHeader("Content-Type", "application/wasm");
            put.setContent(ByteBuffer.wrap(module));
            HttpTester.Response created = server.send(put);
            assertEquals(201, created.getStatus(), created.getContent());
            assertTrue(created.get("content-type").startsWith("application/json"));
            assertTrue(created.getContent().contains("\"id\":\"up\""), created.getContent());

            HttpTester.Response guest = server.get(context + "/up/x?q=1");
            assertEquals(200, guest.getStatus(), guest.getContent());
            // the guest sees the path as the client sent it, context path included
            assertEquals(context + "/up/x?q=1", guest.get("x-path"), "the uploaded guest answered");
            assertNull(guest.get(PassThrough.HEADER));

            HttpTester.Response list =
                    server.send(admin("GET", context + "/_vivarium/deployments", TOKEN));
            assertEquals(200, list.getStatus());
            assertTrue(list.getContent().contains("\"id\":\"up\""), list.getContent());
            assertTrue(list.getContent().contains("\"id\":\"hello_raw\""), list.getContent());

            HttpTester.Response refused =
                    server.send(
                            admin(
                                    "DELETE",
                                    context + "/_vivarium/deployments/up",
                                    "not-the-token-at-all"));
            assertEquals(401, refused.getStatus());

            HttpTester.Response deleted =
                    server.send(admin("DELETE", context + "/_vivarium/deployments/up", TOKEN));
            assertEquals(204, deleted.getStatus(), deleted.getContent());
            HttpTester.Response after = server.get(context + "/up/x");
            assertEquals("reached", after.get(PassThrough.HEADER), "the application's again");
            assertEquals("Hello, world!", server.get(context + "/hello").getContent());
        }
    }

    @ParameterizedTest(name = "context path \"{0}\"")
    @ValueSource(strings = {"", "/shop"})
    default void anUploadOverTheBodyLimitGetsAJson413(String context, @TempDir Path kv)
            throws Exception {
        try (KitServer server = startWithAdmin(kv, context)) {
            String put = "PUT " + context + "/_vivarium/deployments/big?route=/big HTTP/1.1\r\n";
            String auth = "Authorization: Bearer " + TOKEN + "\r\n";
            // refused on its Content-Length, and while reading a chunked body
            for (String framing :
                    List.of(
                            "Content-Length: 20000\r\n\r\n" + "x".repeat(20000),
                            "Transfer-Encoding: chunked\r\n\r\n4e20\r\n"
                                    + "x".repeat(20000)
                                    + "\r\n0\r\n\r\n")) {
                HttpTester.Response r =
                        server.send(
                                put
                                        + "Host: localhost\r\n"
                                        + auth
                                        + "Connection: close\r\n"
                                        + framing);
                assertEquals(413, r.getStatus(), r.getContent());
                assertTrue(r.get("content-type").startsWith("application/json"), r.toString());
                assertEquals(
                        "{\"error\":\"the upload is larger than maxRequestBodySize (16384 bytes)\"}",
                        r.getContent());
            }
        }
    }

    @Test
    default void aMissingGuestFailsTheStartWithAMessageNamingTheRoute() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("guestDirectory", TestGuests.watFixtures().toString());
        s.put("kv.directory", kvDirectory().resolve("missing").toString());
        s.put("routes", "/x -> missing.wasm");

        String all = messages(assertThrows(Exception.class, () -> start(s, "").close()));

        assertTrue(
                all.contains("route '/x -> missing.wasm': missing.wasm: guest file not found at "),
                all);
    }

    @Test
    default void aBadSettingFailsTheStartWithAMessageNamingIt() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("routes", "/x -> x.wasm");
        s.put("deadline", "forever");

        String all = messages(assertThrows(Exception.class, () -> start(s, "").close()));

        assertTrue(all.contains("invalid value 'forever' for Vivarium setting 'deadline'"), all);
    }
}
