package dev.vivarium.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.routing.RouteSpec;
import dev.vivarium.core.routing.RouteTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingAndSettingsTest {
    private static String error(Runnable r) {
        return assertThrows(ConfigurationException.class, r::run).getMessage();
    }

    @Test
    void parsesEntriesWithParameters() {
        List<RouteSpec> routes =
                RouteSpec.parseAll(
                        "/hello -> hello.wasm,\n  *.shop.example.com/* -> shop.wasm; id=shop; deadline=2s;"
                                + " outbound=https://api.example.com http://127.0.0.1:8081");
        assertEquals(2, routes.size());
        RouteSpec shop = routes.get(1);
        assertEquals("*.shop.example.com", shop.host());
        assertEquals("/*", shop.path());
        assertEquals("shop", shop.id());
        assertEquals(Duration.ofSeconds(2), shop.deadline());
        assertEquals(List.of("https://api.example.com", "http://127.0.0.1:8081"), shop.outbound());
        assertEquals("hello", routes.get(0).id());
        assertNull(routes.get(0).host());
    }

    @Test
    void badEntriesNameTheEntryAndTheProblem() {
        assertEquals(
                "invalid route '/hello hello.wasm' in Vivarium setting 'routes': expected MATCH -> GUEST,"
                        + " e.g. '/hello -> hello.wasm'",
                error(() -> RouteSpec.parse("/hello hello.wasm")));
        assertTrue(
                error(() -> RouteSpec.parse("/a -> a.txt")).contains("must end in .wasm or .wat"));
        assertTrue(error(() -> RouteSpec.parse("/a* -> a.wasm")).contains("may only end in '/*'"));
        assertTrue(
                error(() -> RouteSpec.parse("/a -> a.wasm; dedline=2s"))
                        .contains("unknown route parameter 'dedline'"));
        assertTrue(
                error(() -> RouteSpec.parse("/a -> a.wasm; deadline=soon"))
                        .contains("expected a duration"));
        assertTrue(
                error(() -> RouteSpec.parse("exa mple.com/ -> a.wasm"))
                        .contains("is not a host name"));
    }

    @Test
    void pathsNoRoutedRequestHasAreRefusedWithTheirNormalForm() {
        String notNormalized =
                "' is not normalized (requests are routed on their normalized path, without '.',"
                        + " '..' or empty segments): write '";
        for (String[] c :
                new String[][] {
                    {"/a/../hello", "/hello"},
                    {"/./x", "/x"},
                    {"/x//y", "/x/y"},
                    {"//x/*", "/x/*"},
                    {"/x/.", "/x/"},
                    {"/../x", "/x"}
                }) {
            assertEquals(
                    "invalid route '"
                            + c[0]
                            + " -> x.wasm' in Vivarium setting 'routes': path '"
                            + c[0]
                            + notNormalized
                            + c[1]
                            + "'",
                    error(() -> RouteSpec.parse(c[0] + " -> x.wasm")));
        }
        assertEquals(
                "invalid route '/hel%6Co -> x.wasm' in Vivarium setting 'routes': path '/hel%6Co'"
                        + " has %-escapes, but requests are routed on their decoded path: write"
                        + " '/hello'",
                error(() -> RouteSpec.parse("/hel%6Co -> x.wasm")));
        assertTrue(
                error(() -> RouteSpec.parse("shop.example.com/caf%C3%A9/%2e%2e/x -> x.wasm"))
                        .endsWith("write '/x'"));
        assertEquals(
                "invalid route '/search?q=x -> x.wasm' in Vivarium setting 'routes': path"
                        + " '/search?q=x' has a query or fragment, but routes match the path alone:"
                        + " write '/search'",
                error(() -> RouteSpec.parse("/search?q=x -> x.wasm")));
        for (String path : List.of("/", "/x/", "/x/*", "/*", "/a.b/..c/...", "/100%", "/café")) {
            assertEquals(path, RouteSpec.parse(path + " -> x.wasm").path());
        }
    }

    @Test
    void mostSpecificRouteWins() {
        RouteTable<String> t =
                new RouteTable<>(
                        RouteSpec.parseAll(
                                "/* -> all.wasm, /api/* -> api.wasm, /api/v1 -> v1.wasm,"
                                        + " *.example.com/api/* -> wild.wasm, shop.example.com/* -> shop.wasm"),
                        RouteSpec::guest);
        assertEquals("v1.wasm", t.match("other.org", "/api/v1"));
        assertEquals("api.wasm", t.match("other.org", "/api/v2"));
        assertEquals("api.wasm", t.match("other.org", "/api"));
        assertEquals("all.wasm", t.match("other.org", "/apix"));
        assertEquals("shop.wasm", t.match("shop.example.com", "/api/x"));
        assertEquals("wild.wasm", t.match("a.b.example.com", "/api/x"));
        assertEquals(
                "api.wasm", t.match("example.com", "/api/x"), "*.example.com excludes the apex");
        assertEquals(
                "shop.wasm", t.match("SHOP.example.com.", "/"), "case and trailing dot ignored");
    }

    @Test
    void theLongerWildcardHostWinsInEitherOrder() {
        String broad = "*.example.com/x -> broad.wasm, *.example.com/* -> broadall.wasm";
        String narrow =
                "*.shop.example.com/x -> narrow.wasm, *.shop.example.com/* -> narrowall.wasm";
        for (String routes : List.of(broad + ", " + narrow, narrow + ", " + broad)) {
            RouteTable<String> t = new RouteTable<>(RouteSpec.parseAll(routes), RouteSpec::guest);
            assertEquals("narrow.wasm", t.match("a.shop.example.com", "/x"), routes);
            assertEquals("narrowall.wasm", t.match("a.shop.example.com", "/y"), routes);
            assertEquals("broad.wasm", t.match("a.example.com", "/x"), routes);
            assertEquals("broad.wasm", t.match("shop.example.com", "/x"), routes);
            assertEquals("broadall.wasm", t.match("a.example.com", "/y"), routes);
        }
    }

    @Test
    void noRouteMeansPassThrough() {
        RouteTable<String> t =
                new RouteTable<>(RouteSpec.parseAll("/hello -> h.wasm"), RouteSpec::guest);
        assertNull(t.match("x", "/hello/more"));
        assertNull(t.match("x", "/"));
    }

    @Test
    void duplicateRoutesAreRefused() {
        assertTrue(
                error(
                                () ->
                                        new RouteTable<>(
                                                RouteSpec.parseAll("/a -> a.wasm, /a -> b.wasm"),
                                                RouteSpec::guest))
                        .contains("match the same requests"));
        assertTrue(
                error(
                                () ->
                                        new RouteTable<>(
                                                RouteSpec.parseAll(
                                                        "a.com/x -> a.wasm, b.com/x -> b.wasm,"
                                                                + " a.com/x -> c.wasm"),
                                                RouteSpec::guest))
                        .contains("match the same requests"));
    }

    @Test
    void optionsParseTheSharedVocabulary() {
        VivariumOptions o =
                VivariumOptions.parse(
                        Map.of(
                                "routes", "/hello -> hello.wasm",
                                "deadline", "1500ms",
                                "poolSize", "3",
                                "maxRequestBodySize", "64KB",
                                "maxResponseBodySize", "2MB",
                                "maxMemoryPages", "32"),
                        Path.of("g"),
                        Path.of("kv"));
        assertEquals(Duration.ofMillis(1500), o.deadline());
        assertEquals(3, o.poolSize());
        assertEquals(64 * 1024, o.maxRequestBodySize());
        assertEquals(2 << 20, o.maxResponseBodySize());
        assertEquals(32, o.maxMemoryPages());
        assertEquals(Path.of("g"), o.guestDirectory());
    }

    @Test
    void bodyLimitsStayWithinWhatAnArrayHolds() {
        assertEquals(
                "invalid value '4GB' for Vivarium setting 'maxRequestBodySize': expected a size"
                        + " from 0 bytes to 2147483639 bytes",
                error(
                        () ->
                                VivariumOptions.parse(
                                        Map.of("maxRequestBodySize", "4GB"),
                                        Path.of("."),
                                        Path.of("."))));
    }

    @Test
    void sizesThatDoNotFitAreRefusedByName() {
        for (String v : List.of("18014398509481985KB", "8589934592GB", "99999999999999999999")) {
            assertEquals(
                    "invalid value '"
                            + v
                            + "' for Vivarium setting 'maxRequestBodySize': too large; the largest"
                            + " size is 9223372036854775807 bytes (just under 8 EiB)",
                    error(
                            () ->
                                    VivariumOptions.parse(
                                            Map.of("maxRequestBodySize", v),
                                            Path.of("."),
                                            Path.of("."))));
        }
        assertEquals(Long.MAX_VALUE >> 30 << 30, Settings.parseSize("s", "8589934591GB"));
        assertEquals(Long.MAX_VALUE, Settings.parseSize("s", "9223372036854775807"));
    }

    @Test
    void durationsThatDoNotFitAreRefusedByName() {
        String tooLarge = "too large; the longest duration is 106751d (about 292 years)";
        for (String v : List.of("106751991167301d", "99999999999999999999s", "106752d")) {
            assertEquals(
                    "invalid value '" + v + "' for Vivarium setting 'deadline': " + tooLarge,
                    error(
                            () ->
                                    VivariumOptions.parse(
                                            Map.of("deadline", v), Path.of("."), Path.of("."))));
        }
        assertEquals(
                Duration.ofDays(106751),
                VivariumOptions.parse(Map.of("deadline", "106751d"), Path.of("."), Path.of("."))
                        .deadline());
        assertEquals(
                "invalid value '9223372037s' for Vivarium setting 'deadline of route /a': "
                        + tooLarge,
                error(() -> RouteSpec.parse("/a -> a.wasm; deadline=9223372037s")));
    }

    @Test
    void unknownAndMalformedSettingsNameTheSetting() {
        String m =
                error(
                        () ->
                                VivariumOptions.parse(
                                        Map.of("routes", "/a -> a.wasm", "dedline", "2s"),
                                        Path.of("."),
                                        Path.of(".")));
        assertTrue(
                m.startsWith(
                        "unknown Vivarium setting 'dedline' (did you mean 'deadline'?); valid"
                                + " settings are: ["),
                m);
        assertEquals(
                "invalid value 'lots' for Vivarium setting 'poolSize': expected a whole number from 0 to 4096",
                error(
                        () ->
                                VivariumOptions.parse(
                                        Map.of("poolSize", "lots"), Path.of("."), Path.of("."))));
        assertTrue(
                error(
                                () ->
                                        VivariumOptions.parse(
                                                Map.of("maxRequestBodySize", "8 parsecs"),
                                                Path.of("."),
                                                Path.of(".")))
                        .contains("expected a size in bytes"));
    }
}
