package dev.vivarium.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The filter on a real servlet container: routing, pass-through, limits, and faults. Run on each
 * container by a subclass ({@link JettyFilterTest}, {@link TomcatFilterTest}), with the same
 * expectations.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FilterScenarios {
    private FilterServer server;

    /** The container this run uses. */
    abstract FilterServer.Container container();

    private FilterServer server(Map<String, String> initParams) {
        return FilterServer.create(container(), initParams);
    }

    @BeforeAll
    void start() throws Exception {
        server =
                server(
                                Map.of(
                                        "guestDirectory",
                                        TestGuests.watFixtures().toString(),
                                        "maxRequestBodySize",
                                        "1KB",
                                        "maxMemoryPages",
                                        "16",
                                        "routes",
                                        String.join(
                                                ",\n",
                                                "/hello -> hello_raw.wat",
                                                "/panic -> panic.wat",
                                                "/div -> trap_div.wat",
                                                "/bad -> bad_pointer.wat",
                                                "/loop -> loop_forever.wat; deadline=300ms",
                                                "/grow -> grow_memory.wat",
                                                "/ip -> client_ip.wat",
                                                "/echo/* -> echo_path.wat",
                                                "*.guests.test/* -> hello_raw.wat")))
                        .start();
    }

    @AfterAll
    void stop() throws Exception {
        server.close();
    }

    @AfterEach
    void serverKeepsServing() throws Exception {
        HttpResponse<String> r = server.get("/hello");
        assertEquals(200, r.statusCode());
        assertEquals("Hello, world!", r.body());
    }

    @Test
    void routedRequestIsAnsweredByTheGuest() throws Exception {
        HttpResponse<String> r = server.get("/hello");
        assertEquals("text/plain", r.headers().firstValue("content-type").orElse(null));
        assertEquals("13", r.headers().firstValue("content-length").orElse(null));
        assertTrue(r.headers().firstValue("x-served-by").isEmpty());
    }

    @Test
    void unroutedRequestsContinueDownTheChainUntouched() throws Exception {
        HttpResponse<String> r = server.get("/hello/more?x=1");
        assertEquals(200, r.statusCode());
        assertEquals("servlet GET /hello/more", r.body());
        assertEquals("servlet", r.headers().firstValue("x-served-by").orElse(null));
        assertEquals("servlet GET /", server.get("/").body());
    }

    @Test
    void hostRoutesMatchSubdomainsOnly() throws Exception {
        assertTrue(server.rawGet("/anything", "a.guests.test").endsWith("Hello, world!"));
        assertTrue(server.rawGet("/anything", "b.a.guests.test:8080").endsWith("Hello, world!"));
        assertTrue(server.rawGet("/anything", "guests.test").endsWith("servlet GET /anything"));
        assertTrue(server.rawGet("/anything", "other.test").endsWith("servlet GET /anything"));
    }

    @Test
    void guestSeesMethodPathAndQuery() throws Exception {
        HttpResponse<String> r =
                server.send(
                        HttpRequest.newBuilder(server.uri("/echo/a%20b?x=1&y"))
                                .PUT(HttpRequest.BodyPublishers.ofString("hi")));
        assertEquals(200, r.statusCode());
        assertEquals("PUT /echo/a%20b?x=1&y", r.body());
    }

    @Test
    void clientAddressReachesTheGuestAsFastlyClientIp() throws Exception {
        assertEquals("127.0.0.1", server.get("/ip").body());
    }

    @Test
    void returns413WhenTheRequestBodyIsTooLarge() throws Exception {
        String big = "x".repeat(2048);
        HttpResponse<String> r =
                server.send(
                        HttpRequest.newBuilder(server.uri("/echo/x"))
                                .POST(HttpRequest.BodyPublishers.ofString(big)));
        assertEquals(413, r.statusCode());
        assertTrue(
                r.body().contains("request body exceeds maxRequestBodySize (1024 bytes)"),
                r.body());
        // without Content-Length (streamed): the limit still holds
        var chunked =
                HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big.getBytes()));
        assertEquals(
                413,
                server.send(HttpRequest.newBuilder(server.uri("/echo/x")).POST(chunked))
                        .statusCode());
    }

    @Test
    void returns500WithPanicMessageWhenGuestPanics() throws Exception {
        HttpResponse<String> r = server.get("/panic");
        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("boom: this guest panics on purpose"), r.body());
    }

    @Test
    void returns500WithCauseWhenGuestTraps() throws Exception {
        HttpResponse<String> r = server.get("/div");
        assertEquals(500, r.statusCode());
        assertTrue(
                r.body().contains("guest trapped: integer divide by zero in trap_div.wat"),
                r.body());
    }

    @Test
    void badPointerIsA500NotAContainerError() throws Exception {
        HttpResponse<String> r = server.get("/bad");
        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("hostcall_resp_set_body: body at 0xfffff000"), r.body());
    }

    @Test
    void returns504WhenTheGuestRunsPastItsDeadline() throws Exception {
        HttpResponse<String> r = server.get("/loop");
        assertEquals(504, r.statusCode());
        assertTrue(
                r.body().contains("guest exceeded its deadline of 300 ms in loop_forever.wat"),
                r.body());
    }

    @Test
    void memoryGrowthPastTheCapFailsInsideTheGuest() throws Exception {
        assertEquals("grow=-1", server.get("/grow").body());
    }

    @Test
    void misconfiguredRouteStopsTheWebappWithAMessageNamingIt() {
        FilterServer bad =
                server(
                        Map.of(
                                "guestDirectory",
                                TestGuests.watFixtures().toString(),
                                "routes",
                                "/x -> missing.wasm"));
        Exception e = assertThrows(Exception.class, bad::start);
        String all = messages(e);
        assertTrue(
                all.contains("route '/x -> missing.wasm': missing.wasm: guest file not found at "),
                all);
        try {
            bad.close();
        } catch (Exception ignored) {
            // stopping a server that failed to start
        }
    }

    @Test
    void badSettingStopsTheWebapp() {
        FilterServer bad = server(Map.of("routes", "/x -> x.wasm", "deadline", "forever"));
        String all = messages(assertThrows(Exception.class, bad::start));
        assertTrue(all.contains("invalid value 'forever' for Vivarium setting 'deadline'"), all);
        try {
            bad.close();
        } catch (Exception ignored) {
            // stopping a server that failed to start
        }
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
            for (Throwable s : c.getSuppressed()) {
                sb.append(messages(s));
            }
        }
        return sb.toString();
    }

    @Test
    void includedDispatchesReachTheSiteAndForwardsTheGuest() throws Exception {
        try (FilterServer all =
                FilterServer.create(
                                container(),
                                new FilterServer.Setup(
                                        Map.of(
                                                "guestDirectory",
                                                TestGuests.watFixtures().toString(),
                                                "routes",
                                                "/hello -> hello_raw.wat"),
                                        EnumSet.allOf(DispatcherType.class),
                                        null))
                        .start()) {
            // an include writes into the including page's response: a guest never answers it
            HttpResponse<String> included = all.get("/dispatch/include?to=/hello");
            assertEquals(200, included.statusCode());
            assertEquals(
                    "before\nservlet GET /dispatch/include\nafter",
                    included.body(),
                    "the site's servlet served the included path");
            // a forward hands the whole request over: the route of its target answers
            HttpResponse<String> forwarded = all.get("/dispatch/forward?to=/hello");
            assertEquals("Hello, world!", forwarded.body());
        }
    }

    @Test
    void metricsGoToTheRegistryTheWebappPutsInItsContext() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Map<String, String> params =
                Map.of(
                        "guestDirectory",
                        TestGuests.watFixtures().toString(),
                        "routes",
                        "/hello -> hello_raw.wat,\n/panic -> panic.wat");
        try (FilterServer s =
                FilterServer.create(
                                container(),
                                new FilterServer.Setup(
                                        params, EnumSet.of(DispatcherType.REQUEST), null, registry))
                        .start()) {
            // the warmed pools' idle instances, read before any request (a response's body stays
            // counted until the filter has returned, an instant after the client has it)
            double warm = registry.get("vivarium.memory.used").gauge().value();
            s.get("/hello");
            s.get("/hello");
            // a request with a body: counted while it runs, given back once the response is out
            HttpResponse<String> posted =
                    s.send(
                            HttpRequest.newBuilder(s.uri("/hello"))
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "x".repeat(100_000))));
            assertEquals(200, posted.statusCode());
            // the client may read the response an instant before the filter returns
            long until = System.nanoTime() + 5_000_000_000L;
            while (registry.get("vivarium.memory.used").gauge().value() != warm
                    && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertEquals(warm, registry.get("vivarium.memory.used").gauge().value());
            s.get("/panic");
            assertEquals(
                    3.0,
                    registry.get("vivarium.requests")
                            .tag("deployment", "hello_raw")
                            .tag("outcome", "ok")
                            .counter()
                            .count());
            assertEquals(
                    1.0,
                    registry.get("vivarium.requests")
                            .tag("deployment", "panic")
                            .tag("outcome", "panic")
                            .counter()
                            .count());
            assertTrue(registry.get("vivarium.memory.used").gauge().value() > 0);
        }
        assertTrue(
                registry.getMeters().stream()
                        .noneMatch(m -> m.getId().getName().startsWith("vivarium.")),
                "stopping the webapp removes the meters");

        // something else in the attribute is a configuration error, named
        FilterServer bad =
                FilterServer.create(
                        container(),
                        new FilterServer.Setup(
                                params, EnumSet.of(DispatcherType.REQUEST), null, "a string"));
        String all = messages(assertThrows(Exception.class, bad::start));
        assertTrue(
                all.contains(
                        "servlet context attribute 'dev.vivarium.servlet.meterRegistry' holds a"
                                + " java.lang.String, not an"
                                + " io.micrometer.core.instrument.MeterRegistry of this webapp's"
                                + " class loader"),
                all);
        try {
            bad.close();
        } catch (Exception ignored) {
            // stopping a server that failed to start
        }
    }

    @Test
    void withoutARegistryInTheContextTheEngineKeepsItsOwn() throws Exception {
        SimpleMeterRegistry global = new SimpleMeterRegistry();
        Metrics.globalRegistry.add(global);
        try {
            server.get("/hello");
            assertTrue(
                    global.getMeters().stream()
                            .noneMatch(m -> m.getId().getName().startsWith("vivarium.")),
                    "nothing in the global registry");
        } finally {
            Metrics.globalRegistry.remove(global);
        }
    }

    @Test
    void aGuestsErrorIsRenderedByTheSitesErrorPageNotByAGuestAgain() throws Exception {
        try (FilterServer all =
                FilterServer.create(
                                container(),
                                new FilterServer.Setup(
                                        Map.of(
                                                "guestDirectory",
                                                TestGuests.watFixtures().toString(),
                                                "routes",
                                                "/* -> panic.wat"),
                                        EnumSet.allOf(DispatcherType.class),
                                        "/site-error"))
                        .start()) {
            HttpResponse<String> r = all.get("/anything");
            assertEquals(500, r.statusCode());
            assertEquals("servlet GET /site-error", r.body(), "the site's error page");
        }
    }
}
