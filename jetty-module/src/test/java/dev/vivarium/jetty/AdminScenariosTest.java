package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Uploading, using and removing a deployment through the admin API of a real server, with each
 * adapter, at the root and below a context path: the module travels as an HTTP body, the uploaded
 * guest answers on its route, and after removal the request reaches the application again.
 */
@Timeout(120)
class AdminScenariosTest {
    static final String TOKEN = "adapter-test-token-0123456789";

    @TempDir Path kvDirectory;

    /** Each adapter at the root and at context path {@code /shop}, with that context path. */
    static List<Arguments> adapters() {
        return List.of(
                Arguments.of(Adapter.HANDLER, ""),
                Arguments.of(Adapter.FILTER, ""),
                Arguments.of(Adapter.TOMCAT_FILTER, ""),
                Arguments.of(Adapter.handler("/shop"), "/shop"),
                Arguments.of(Adapter.filter("/shop"), "/shop"),
                Arguments.of(Adapter.tomcatFilter("/shop"), "/shop"));
    }

    private TestServer start(Adapter adapter) throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("routes", "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kvDirectory.toString());
        s.put("admin.token", TOKEN);
        s.put("poolSize", "1");
        s.put("maxRequestBodySize", "16KB");
        return adapter.start(s);
    }

    private static HttpTester.Request admin(String method, String uri, String token) {
        HttpTester.Request r = TestServer.request(method, uri);
        if (token != null) {
            r.setHeader("Authorization", "Bearer " + token);
        }
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void uploadServeAndRemoveADeployment(Adapter adapter, String context) throws Exception {
        byte[] module =
                Files.readAllBytes(TestGuests.root().resolve("wat/fixtures/echo_request.wat"));
        try (TestServer server = start(adapter)) {
            HttpTester.Response before = server.get(context + "/up/x");
            assertEquals("reached", before.get(TestApplication.HEADER), "the application's");

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
            assertNull(guest.get(TestApplication.HEADER));

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
            assertEquals("reached", after.get(TestApplication.HEADER), "the application's again");
            assertEquals("Hello, world!", server.get(context + "/hello").getContent());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void anUploadOverTheBodyLimitGetsAJson413(Adapter adapter, String context) throws Exception {
        try (TestServer server = start(adapter)) {
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
}
