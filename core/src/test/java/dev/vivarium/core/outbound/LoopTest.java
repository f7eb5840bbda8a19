package dev.vivarium.core.outbound;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.testing.TestGuests;
import java.net.URLEncoder;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18 item 3: a guest calling its own server. Every outbound request carries the incoming
 * request's {@code CDN-Loop} plus one {@code vivarium} entry; past {@code outbound.maxHops} the
 * guest's request fails (-1) and an incoming request is answered 508 before any guest runs, so a
 * self-nesting {@code /fetch} stops after a few hops instead of never.
 */
@Timeout(120)
class LoopTest {
    private static TestUpstream upstream;

    /** The engine behind {@link #site}: a minimal adapter on a real port, for loops. */
    private static final AtomicReference<Vivarium> behind = new AtomicReference<>();

    private static Server site;
    private static int sitePort;

    @BeforeAll
    static void start() throws Exception {
        upstream = new TestUpstream();
        site = new Server();
        ServerConnector c = new ServerConnector(site);
        c.setHost("127.0.0.1");
        site.addConnector(c);
        site.setHandler(
                new Handler.Abstract() {
                    @Override
                    public boolean handle(Request request, Response response, Callback callback) {
                        Vivarium v = behind.get();
                        Headers h = new Headers();
                        for (HttpField f : request.getHeaders()) {
                            h.add(f.getName(), f.getValue());
                        }
                        String target = request.getHttpURI().getPathQuery();
                        GuestRequest r =
                                new GuestRequest("GET", target, "127.0.0.1", h, null, "127.0.0.1");
                        Outcome o = v.handle(v.route("127.0.0.1", r.path()), r);
                        response.setStatus(o.status());
                        response.write(
                                true,
                                java.nio.ByteBuffer.wrap(
                                        o.isOk() ? o.body() : o.message().getBytes(UTF_8)),
                                callback);
                        return true;
                    }
                });
        site.start();
        sitePort = c.getLocalPort();
    }

    @AfterAll
    static void stop() throws Exception {
        site.stop();
        upstream.close();
    }

    private static Vivarium engine(int maxHops, String... routes) {
        return engine(OutboundOptions.builder().maxHops(maxHops).build(), routes);
    }

    private static Vivarium engine(OutboundOptions outbound, String... routes) {
        VivariumOptions.Builder b =
                VivariumOptions.builder()
                        .guestDirectory(TestGuests.dist())
                        .poolSize(1)
                        .outbound(outbound);
        for (String r : routes) {
            b.route(r);
        }
        return Vivarium.builder(b.build()).start();
    }

    private static Outcome get(Vivarium v, String target, String... cdnLoop) {
        Headers h = new Headers();
        for (String l : cdnLoop) {
            h.add("CDN-Loop", l);
        }
        GuestRequest r = new GuestRequest("GET", target, "x", h, null, "127.0.0.1");
        return v.handle(v.route("x", r.path()), r);
    }

    private static double runs(Vivarium v, String deployment) {
        return v
                .meterRegistry()
                .get("vivarium.requests")
                .tag("deployment", deployment)
                .counters()
                .stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    @Test
    void anIncomingRequestPastMaxHopsIsAnswered508BeforeItsGuestRuns() {
        try (Vivarium v = engine(3, "/fetch -> fetch.wasm")) {
            Outcome o = get(v, "/fetch", "Fastly, vivarium, vivarium", "vivarium; x=1, vivarium");
            assertEquals(508, o.status(), o.toString());
            assertEquals(Outcome.Kind.LOOP, o.kind());
            assertTrue(o.message().contains("4 Vivarium guests"), o.message());
            assertEquals(0, runs(v, "fetch"), "no guest ran");
            // three hops is still within the limit: the guest runs (and answers 400: no url)
            assertEquals(400, get(v, "/fetch", "vivarium, vivarium, Fastly, vivarium").status());
        }
    }

    @Test
    void aGuestsRequestsCarryTheIncomingHopsPlusItsOwn() {
        try (Vivarium v = engine(3, "/fetch -> fetch.wasm; outbound=" + upstream.base())) {
            Outcome o = get(v, "/fetch?url=" + upstream.base() + "/echo", "Fastly, vivarium");
            String body = new String(o.body(), UTF_8);
            assertEquals(200, o.status(), body);
            Headers seen = new Headers();
            for (String line : body.split("\n")) {
                if (line.toLowerCase().startsWith("cdn-loop:")) {
                    seen.add("cdn-loop", line.substring("cdn-loop:".length()).trim());
                }
            }
            assertEquals(2, Hops.count(seen), body);
            assertTrue(seen.values("cdn-loop").contains("Fastly, vivarium"), body);
        }
    }

    @Test
    void aGuestAlreadyAtMaxHopsCannotSendAnother() {
        try (Vivarium v = engine(2, "/fetch -> fetch.wasm; outbound=" + upstream.base())) {
            int before = upstream.requests();
            Outcome o = get(v, "/fetch?url=" + upstream.base() + "/fast", "vivarium, vivarium");
            assertEquals(502, o.status(), new String(o.body(), UTF_8));
            assertEquals(before, upstream.requests(), "nothing was sent");
            assertTrue(OutboundRequest.isHostOwned("CDN-Loop"), "no guest may set or drop it");
        }
    }

    /** The sample's 150-deep self nesting: it now ends after maxHops guests. */
    @Test
    void aSelfNestingFetchStopsAfterMaxHops() {
        String self = "http://127.0.0.1:" + sitePort;
        // each hop holds an instance of the same deployment while it waits for the next: below
        // maxHops + 1 places the innermost would wait for a place (and get 503 after queueTimeout)
        try (Vivarium v = engine(3, "/fetch -> fetch.wasm; maxConcurrent=8; outbound=" + self)) {
            behind.set(v);
            String target = "/fast";
            for (int i = 0; i < 10; i++) {
                target = "/fetch?url=" + URLEncoder.encode(self + target, UTF_8);
            }
            Outcome o = get(v, target);
            // 1 + maxHops guests ran: the one asked, and one per hop
            assertEquals(4, runs(v, "fetch"), new String(o.body(), UTF_8));
        }
    }

    /**
     * One deployment's requests share {@code outbound.maxConcurrent}: a fan-out of four with a
     * share of two starts two and is refused the others, however many it may have pending.
     */
    @Test
    void aDeploymentHasAtMostMaxConcurrentOutboundRequestsInFlight() {
        OutboundOptions two = OutboundOptions.builder().maxConcurrent(2).build();
        try (Vivarium v = engine(two, "/fanout -> fanout.wasm; outbound=" + upstream.base())) {
            String slow = URLEncoder.encode(upstream.base() + "/slow", UTF_8);
            Outcome o =
                    get(
                            v,
                            "/fanout?url="
                                    + slow
                                    + "&url="
                                    + slow
                                    + "&url="
                                    + slow
                                    + "&url="
                                    + slow);
            String body = new String(o.body(), UTF_8);
            assertEquals(200, o.status(), body);
            assertEquals(2, body.lines().filter(l -> l.startsWith("- error")).count(), body);
            assertEquals(2, body.lines().filter(l -> l.contains(" 200 ")).count(), body);
            assertTrue(upstream.slowMaxActive() <= 2, "at most two in flight");
        }
    }
}
