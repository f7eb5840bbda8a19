package dev.vivarium.servlet;

import static dev.vivarium.testkit.KitContext.messages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.testkit.AdapterScenarios;
import dev.vivarium.testkit.KitServer;
import dev.vivarium.testkit.PassThrough;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The filter on a real servlet container: every scenario of the adapter kit, and what only a filter
 * has (dispatch types, the site's error pages, the meter registry in the servlet context). Run on
 * each container by a subclass ({@link JettyFilterTest}, {@link TomcatFilterTest}), with the same
 * expectations.
 */
abstract class FilterScenarios extends AdapterScenarios {
    /** The container this run uses. */
    abstract FilterServer.Container container();

    @Override
    public KitServer start(Map<String, String> settings, String contextPath) throws Exception {
        return FilterServer.create(
                        container(),
                        new FilterServer.Setup(
                                settings,
                                EnumSet.of(DispatcherType.REQUEST),
                                null,
                                null,
                                contextPath))
                .startForKit();
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
                    "before\n"
                            + PassThrough.answer("GET", "/dispatch/include?to=/hello")
                            + "\nafter",
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
            server().get("/hello");
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
            assertEquals(
                    PassThrough.answer("GET", "/site-error"), r.body(), "the site's error page");
        }
    }
}
