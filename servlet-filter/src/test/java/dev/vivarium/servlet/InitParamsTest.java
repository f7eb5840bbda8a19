package dev.vivarium.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.Setting;
import dev.vivarium.core.config.VivariumSettings;
import dev.vivarium.core.outbound.TestCertificates;
import dev.vivarium.core.testing.TestGuests;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filter's init-params are the settings of {@link VivariumSettings}, placeholders included, on
 * a real container (Jetty).
 */
@Timeout(60)
class InitParamsTest {
    private static final String PROPERTY = "vivarium.test.maxRequestBodySize";

    /** A valid value of every declared setting: its example or default, or one given here. */
    private static Map<String, String> everySetting(Path dir) throws Exception {
        Map<String, String> given = new LinkedHashMap<>();
        given.put("routes", "/hello -> hello_raw.wat");
        given.put("guestDirectory", TestGuests.watFixtures().toString());
        given.put("kv.directory", dir.resolve("kv").toString());
        given.put("deployments.directory", dir.resolve("uploads").toString());
        given.put("compileCache.directory", dir.resolve("compiled").toString());
        given.put("outbound.allow", "http://127.0.0.1:1");
        given.put(
                "outbound.trustStore",
                TestCertificates.serverKeyStore(dir, "ca", "dns:localhost").toString());
        given.put("outbound.trustStorePassword", TestCertificates.PASSWORD);
        given.put("admin.token", "a-token-of-sixteen-or-more");
        given.put("admin.allowFrom", "127.0.0.1");
        Map<String, String> all = new LinkedHashMap<>();
        for (Setting<?> s : VivariumSettings.all()) {
            String v =
                    given.getOrDefault(
                            s.name(), s.example() != null ? s.example() : s.defaultValue());
            assertNotNull(v, "give a valid value of the new setting '" + s.name() + "' here");
            all.put(s.name(), v);
        }
        return all;
    }

    @Test
    void everyDeclaredSettingIsAnInitParamAndPlaceholdersAreResolved(@TempDir Path dir)
            throws Exception {
        Map<String, String> params = everySetting(dir);
        params.put("maxRequestBodySize", "${sys." + PROPERTY + ":1MB}");
        System.setProperty(PROPERTY, "16");
        try (FilterServer server = FilterServer.create(FilterServer.Container.JETTY, params)) {
            server.start();
            assertEquals("Hello, world!", server.get("/hello").body());
            HttpResponse<String> r =
                    server.send(
                            HttpRequest.newBuilder(server.uri("/hello"))
                                    .POST(HttpRequest.BodyPublishers.ofString("x".repeat(17))));
            assertEquals(413, r.statusCode(), "maxRequestBodySize from the system property");
        } finally {
            System.clearProperty(PROPERTY);
        }
    }

    @Test
    void aPlaceholderFormVivariumDoesNotReadStopsTheWebappSayingWhatToWrite(@TempDir Path dir)
            throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("routes", "/hello -> hello_raw.wat");
        params.put("guestDirectory", TestGuests.watFixtures().toString());
        params.put("kv.directory", "${env:KV_DIR}");
        FilterServer bad = FilterServer.create(FilterServer.Container.JETTY, params);
        try {
            Exception e = assertThrows(Exception.class, bad::start);
            StringBuilder all = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                all.append(t.getMessage()).append(" | ");
            }
            assertTrue(
                    all.toString()
                            .contains(
                                    "invalid value '${env:KV_DIR}' for Vivarium setting"
                                            + " 'kv.directory': placeholder ${env:KV_DIR} is not a"
                                            + " placeholder form Vivarium reads; write ${env.KV_DIR}"),
                    all.toString());
        } finally {
            try {
                bad.close();
            } catch (Exception ignored) {
                // stopping a server that failed to start
            }
        }
    }
}
