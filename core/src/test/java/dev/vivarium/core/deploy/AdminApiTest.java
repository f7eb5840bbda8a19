package dev.vivarium.core.deploy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.testing.MemoryExchange;
import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The admin HTTP API through the engine, configured by settings as the adapters do. */
@Timeout(120)
class AdminApiTest {
    static final String TOKEN = "s3cret-admin-token-for-tests";

    @TempDir Path kvDir;

    Vivarium start(Map<String, String> extra) {
        Map<String, String> s = new java.util.HashMap<>(extra);
        s.put("routes", "/static -> wat/fixtures/hello_raw.wat; id=static");
        s.put("poolSize", "1");
        return Vivarium.builder(VivariumOptions.parse(s, TestGuests.root(), kvDir)).start();
    }

    Vivarium start() {
        return start(Map.of("admin.token", TOKEN));
    }

    static Outcome send(Vivarium v, String method, String pathAndQuery, String token, byte[] body) {
        return send(v, method, pathAndQuery, token, body, "192.0.2.7");
    }

    static Outcome send(
            Vivarium v,
            String method,
            String pathAndQuery,
            String token,
            byte[] body,
            String clientAddress) {
        Headers h = new Headers();
        if (token != null) {
            h.add("Authorization", "Bearer " + token);
        }
        MemoryExchange x =
                new MemoryExchange(method, pathAndQuery, "any.host", h, body, clientAddress);
        try {
            return v.serve(x) ? x.outcome() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Outcome serve(Vivarium v, Headers h) throws IOException {
        MemoryExchange x =
                new MemoryExchange("GET", "/_vivarium/deployments", "h", h, null, "192.0.2.7");
        assertTrue(v.serve(x));
        return x.outcome();
    }

    static String text(Outcome o) {
        return new String(o.body(), UTF_8);
    }

    static byte[] hello() throws Exception {
        return Files.readAllBytes(TestGuests.root().resolve("wat/fixtures/hello_raw.wat"));
    }

    @Test
    void uploadListGetAndRemoveADeployment() throws Exception {
        try (Vivarium v = start()) {
            Outcome put =
                    send(
                            v,
                            "PUT",
                            "/_vivarium/deployments/demo?route=/demo/*&ttl=10m",
                            TOKEN,
                            hello());
            assertEquals(201, put.status(), text(put));
            assertEquals("application/json", put.headers().first("content-type"));
            assertTrue(text(put).contains("\"id\":\"demo\""), text(put));
            assertTrue(text(put).contains("\"route\":\"/demo/* -> demo.wat\""), text(put));

            Outcome guest = send(v, "GET", "/demo/page", null, null);
            assertEquals(200, guest.status());
            assertEquals("Hello, world!", text(guest));

            Outcome again =
                    send(v, "PUT", "/_vivarium/deployments/demo?route=/demo/*", TOKEN, hello());
            assertEquals(200, again.status(), "replaced: " + text(again));

            Outcome list = send(v, "GET", "/_vivarium/deployments", TOKEN, null);
            assertEquals(200, list.status());
            assertTrue(text(list).startsWith("{\"deployments\":["), text(list));
            assertTrue(text(list).contains("\"id\":\"static\",\"route\":"), text(list));
            assertTrue(text(list).contains("\"uploaded\":false"), text(list));
            assertTrue(text(list).contains("\"id\":\"demo\""), text(list));

            Outcome one = send(v, "GET", "/_vivarium/deployments/demo", TOKEN, null);
            assertEquals(200, one.status());
            assertTrue(text(one).contains("\"expiresAt\":\""), text(one));

            Outcome del = send(v, "DELETE", "/_vivarium/deployments/demo", TOKEN, null);
            assertEquals(204, del.status());
            assertNull(send(v, "GET", "/demo/page", null, null), "gone: passes to the site");
            assertEquals(404, send(v, "GET", "/_vivarium/deployments/demo", TOKEN, null).status());
            assertEquals(
                    404, send(v, "DELETE", "/_vivarium/deployments/demo", TOKEN, null).status());
        }
    }

    @Test
    void withoutTheRightTokenNothingHappens() throws Exception {
        try (Vivarium v = start()) {
            for (String token : new String[] {null, "wrong-token-wrong-token", TOKEN + "x"}) {
                Outcome o = send(v, "PUT", "/_vivarium/deployments/x?route=/x", token, hello());
                assertEquals(401, o.status(), String.valueOf(token));
                assertEquals("Bearer realm=\"vivarium\"", o.headers().first("www-authenticate"));
                assertEquals(401, send(v, "GET", "/_vivarium/deployments", token, null).status());
            }
            assertNull(send(v, "GET", "/x", null, null), "nothing was deployed");
        }
    }

    @Test
    void theAuthSchemeIsCaseInsensitive() throws Exception {
        try (Vivarium v = start()) {
            for (String auth :
                    new String[] {"bearer " + TOKEN, "BEARER " + TOKEN, "Bearer  " + TOKEN}) {
                Headers h = new Headers();
                h.add("Authorization", auth);
                Outcome o = serve(v, h);
                assertEquals(200, o.status(), auth + ": " + text(o));
            }
            for (String auth : new String[] {"Basic " + TOKEN, "Bearer" + TOKEN, "Bearer", TOKEN}) {
                Headers h = new Headers();
                h.add("Authorization", auth);
                assertEquals(401, serve(v, h).status(), auth);
            }
        }
    }

    @Test
    void badRequestsGetAStatusAndAMessage() throws Exception {
        try (Vivarium v = start()) {
            Outcome o =
                    send(v, "PUT", "/_vivarium/deployments/x?route=/x&ttl=soon", TOKEN, hello());
            assertEquals(400, o.status());
            assertTrue(text(o).contains("invalid ttl 'soon'"), text(o));

            o = send(v, "PUT", "/_vivarium/deployments/x?route=/x&color=red", TOKEN, hello());
            assertEquals(400, o.status());
            assertTrue(text(o).contains("unknown parameter 'color'"), text(o));

            o = send(v, "PUT", "/_vivarium/deployments/x?route=/x", TOKEN, new byte[0]);
            assertEquals(400, o.status());
            assertTrue(text(o).contains("the body must be the module"), text(o));

            o =
                    send(
                            v,
                            "PUT",
                            "/_vivarium/deployments/x?route=/x",
                            TOKEN,
                            "(module".getBytes(UTF_8));
            assertEquals(400, o.status());
            assertTrue(text(o).contains("x.wat"), text(o));

            o = send(v, "DELETE", "/_vivarium/deployments/static", TOKEN, null);
            assertEquals(409, o.status());
            assertTrue(text(o).contains("configured"), text(o));

            o = send(v, "POST", "/_vivarium/deployments/x", TOKEN, hello());
            assertEquals(405, o.status());
            assertEquals("GET, PUT, PATCH, DELETE", o.headers().first("allow"));

            o = send(v, "GET", "/_vivarium/other", TOKEN, null);
            assertEquals(404, o.status());

            assertEquals("Hello, world!", text(send(v, "GET", "/static", null, null)));
        }
    }

    @Test
    void durationsThatDoNotFitGetA400NamingTheParameter() throws Exception {
        try (Vivarium v = start()) {
            for (String q :
                    new String[] {
                        "ttl=106751991167301d", "ttl=99999999999999999999s", "deadline=106752d"
                    }) {
                Outcome o =
                        send(v, "PUT", "/_vivarium/deployments/x?route=/x&" + q, TOKEN, hello());
                assertEquals(400, o.status(), q + ": " + text(o));
                String name = q.substring(0, q.indexOf('='));
                String value = q.substring(q.indexOf('=') + 1);
                assertEquals(
                        "{\"error\":\"invalid "
                                + name
                                + " '"
                                + value
                                + "': too large; the longest duration is 106751d (about 292"
                                + " years)\"}",
                        text(o));
            }
            assertNull(send(v, "GET", "/x", null, null), "nothing was deployed");
        }
    }

    @Test
    void anUnexpectedFailureIsAJson500() throws Exception {
        try (Vivarium v = start()) {
            // a configured deployment without a route: listing it fails inside the API
            DeploymentInfo broken = new DeploymentInfo("broken", null, false, null, null, 0, false);
            AdminApi.Deployments real = AdminApi.over(v.uploads(), v.deployments());
            AdminApi api =
                    new AdminApi(
                            v.options().uploads(),
                            new AdminApi.Deployments() {
                                @Override
                                public java.util.List<DeploymentInfo> list() {
                                    java.util.List<DeploymentInfo> all =
                                            new java.util.ArrayList<>(real.list());
                                    all.add(broken);
                                    return all;
                                }

                                @Override
                                public UploadResult upload(UploadRequest request) {
                                    return real.upload(request);
                                }

                                @Override
                                public boolean remove(String id) {
                                    return real.remove(id);
                                }

                                @Override
                                public boolean isConfigured(String id) {
                                    return real.isConfigured(id);
                                }
                            });
            Headers h = new Headers();
            h.add("Authorization", "Bearer " + TOKEN);
            Outcome o =
                    api.handle(
                            new GuestRequest(
                                    "GET", "/_vivarium/deployments", "h", h, null, "192.0.2.7"));
            assertEquals(500, o.status());
            assertEquals("application/json", o.headers().first("content-type"));
            // the log has the exception; the client gets no Java class name (issue 18, item 9)
            assertEquals("{\"error\":\"internal error; the server log has the details\"}", text(o));
        }
    }

    @Test
    void theAdminPathIsOrdinaryWhenNoTokenIsSetAndCanBeMoved() throws Exception {
        try (Vivarium v = start(Map.of())) {
            assertNull(send(v, "GET", "/_vivarium/deployments", TOKEN, null), "off: the site's");
        }
        try (Vivarium v = start(Map.of("admin.token", TOKEN, "admin.path", "/ops/edge"))) {
            assertNull(send(v, "GET", "/_vivarium/deployments", TOKEN, null));
            Outcome o = send(v, "GET", "/ops/edge/deployments", TOKEN, null);
            assertEquals(200, o.status());
        }
    }

    @Test
    void adminAllowFromLimitsTheClientsTheApiAnswers() {
        try (Vivarium v =
                start(
                        Map.of(
                                "admin.token",
                                TOKEN,
                                "admin.allowFrom",
                                "127.0.0.1, 10.0.0.0/8 192.0.2.100-192.0.2.200,::1"))) {
            for (String allowed : new String[] {"127.0.0.1", "10.1.2.3", "192.0.2.150", "::1"}) {
                Outcome o = send(v, "GET", "/_vivarium/deployments", TOKEN, null, allowed);
                assertEquals(200, o.status(), allowed + ": " + text(o));
            }
            for (String refused : new String[] {"192.0.2.7", "11.0.0.1", "::2", "", "localhost"}) {
                Outcome o = send(v, "GET", "/_vivarium/deployments", TOKEN, null, refused);
                assertEquals(403, o.status(), refused);
                assertEquals(
                        "{\"error\":\"the admin API does not answer this client's address\"}",
                        text(o));
            }
            // refused before the token is looked at: no answer tells a stranger about tokens
            assertEquals(403, send(v, "GET", "/_vivarium/deployments", null, null).status());
            assertEquals(200, send(v, "GET", "/static", null, null).status(), "guests: any");
        }
    }

    @Test
    void adminAllowFromTakesAddressesOnly() {
        for (String bad : new String[] {"localhost", "10.0.0.0/33", "10.0.0.1-::1", "10.0.0.x"}) {
            var e =
                    org.junit.jupiter.api.Assertions.assertThrows(
                            dev.vivarium.core.config.ConfigurationException.class,
                            () -> start(Map.of("admin.token", TOKEN, "admin.allowFrom", bad)));
            assertEquals(
                    "admin.allowFrom: '"
                            + bad
                            + "' is not an IP address, a CIDR block (10.0.0.0/8) or a range"
                            + " (192.0.2.10-192.0.2.20)",
                    e.getMessage());
        }
    }
}
