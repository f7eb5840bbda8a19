package dev.vivarium.core.deploy;

import static dev.vivarium.core.deploy.DeploymentTesting.get;
import static dev.vivarium.core.deploy.DeploymentTesting.module;
import static dev.vivarium.core.deploy.DeploymentTesting.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 item 8: an upload never takes requests from a configured route (a more specific route
 * that overlaps it), and stays within {@code deployments.routes}.
 */
@Timeout(120)
class UploadRoutesTest {
    @TempDir Path dir;

    static final List<String> CONFIGURED =
            List.of(
                    "/static -> wat/fixtures/hello_raw.wat; id=static",
                    "/site/* -> wat/fixtures/hello_raw.wat; id=site",
                    "shop.example.com/cart/* -> wat/fixtures/hello_raw.wat");

    Vivarium start(Consumer<UploadOptions.Builder> uploads, List<String> routes) {
        UploadOptions.Builder u = UploadOptions.builder(dir.resolve("deployments")).max(100);
        uploads.accept(u);
        VivariumOptions.Builder b =
                VivariumOptions.builder()
                        .guestDirectory(TestGuests.root())
                        .poolSize(0)
                        .kv(KvOptions.defaults(dir.resolve("kv")))
                        .uploads(u.build());
        routes.forEach(b::route);
        return Vivarium.builder(b.build()).start();
    }

    static UploadException refused(Vivarium v, String match) {
        return assertThrows(
                UploadException.class,
                () -> v.uploads().deploy("up", match, null, null, List.of(), hello()),
                match);
    }

    static byte[] hello() {
        return module("wat/fixtures/echo_path.wat");
    }

    @Test
    void anUploadThatWouldTakeAConfiguredRoutesRequestsGets409() {
        try (Vivarium v = start(u -> {}, CONFIGURED)) {
            for (String[] c :
                    new String[][] {
                        {"127.0.0.1/*", "/static -> wat/fixtures/hello_raw.wat; id=static"},
                        {"*.0.0.1/*", "/static -> wat/fixtures/hello_raw.wat; id=static"},
                        {"localhost/static", "/static -> wat/fixtures/hello_raw.wat; id=static"},
                        {"/site/page", "/site/* -> wat/fixtures/hello_raw.wat; id=site"},
                        {"/site/a/*", "/site/* -> wat/fixtures/hello_raw.wat; id=site"},
                        {"shop.example.com/*", "/static -> wat/fixtures/hello_raw.wat; id=static"},
                        {"*.example.com/*", "/static -> wat/fixtures/hello_raw.wat; id=static"},
                        {
                            "shop.example.com/cart/x",
                            "shop.example.com/cart/* -> wat/fixtures/hello_raw.wat"
                        },
                    }) {
                UploadException e = refused(v, c[0]);
                assertEquals(409, e.status(), c[0]);
                assertEquals(
                        "route "
                                + c[0]
                                + " would take requests from the configured route '"
                                + c[1]
                                + "'; choose a route that no configured one matches",
                        e.getMessage());
            }
            assertEquals(List.of(), v.uploads().list(), "nothing was uploaded");
            assertEquals("Hello, world!", text(get(v, "127.0.0.1", "/static")));
        }
    }

    @Test
    void lessSpecificOrDisjointRoutesOnlyGetWhatNoConfiguredRouteTakes() {
        try (Vivarium v = start(u -> {}, CONFIGURED)) {
            int n = 0;
            for (String match : List.of("/*", "/static/*", "/sites/*", "/other")) {
                v.uploads().deploy("up" + n++, match, null, null, List.of(), hello());
            }
            assertEquals("Hello, world!", text(get(v, "localhost", "/static")));
            assertEquals("Hello, world!", text(get(v, "localhost", "/site/page")));
            assertEquals(
                    "Hello, world!", text(get(v, "shop.example.com", "/cart/x")), "configured");
            assertEquals("GET /anything", text(get(v, "localhost", "/anything")), "the upload's");
            assertEquals("GET /static/x", text(get(v, "localhost", "/static/x")));
            assertEquals("GET /x", text(get(v, "shop.example.com", "/x")));
        }
    }

    @Test
    void deploymentsRoutesSaysWhereUploadsMayLive() {
        try (Vivarium v =
                start(
                        u -> u.routes(List.of("/try/*", "*.apps.example.com/*")),
                        List.of("shop.example.com/cart/* -> wat/fixtures/hello_raw.wat"))) {
            int n = 0;
            for (String ok :
                    List.of(
                            "/try/*",
                            "/try/x",
                            "/try/a/*",
                            "a.apps.example.com/*",
                            "*.b.apps.example.com/x",
                            "localhost/try/y")) {
                v.uploads().deploy("ok" + n++, ok, null, null, List.of(), hello());
            }
            for (String outside :
                    List.of("/tryx", "/*", "/other/*", "apps.example.com/*", "*.example.com/*")) {
                UploadException e = refused(v, outside);
                assertEquals(409, e.status(), outside);
                assertEquals(
                        "route "
                                + outside
                                + " is outside deployments.routes (/try/*, *.apps.example.com/*),"
                                + " where uploads may take requests",
                        e.getMessage());
            }
        }
    }

    @Test
    void deploymentsRoutesIsASettingCheckedAtStart() {
        VivariumOptions o =
                VivariumOptions.parse(
                        Map.of("routes", "/x -> x.wasm", "deployments.routes", "/try/*, /demo"),
                        dir,
                        dir);
        assertEquals(
                List.of("/try/*", "/demo"),
                o.uploads().routes().stream().map(r -> r.match()).toList());
        assertEquals(
                List.of("/*"),
                VivariumOptions.parse(Map.of("routes", "/x -> x.wasm"), dir, dir)
                        .uploads()
                        .routes()
                        .stream()
                        .map(r -> r.match())
                        .toList(),
                "default: anywhere no configured route takes");
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                VivariumOptions.parse(
                                        Map.of(
                                                "routes",
                                                "/x -> x.wasm",
                                                "deployments.routes",
                                                "try"),
                                        dir,
                                        dir));
        assertTrue(
                e.getMessage().startsWith("deployments.routes: 'try' is not a MATCH like /try/*"),
                e.getMessage());
    }
}
