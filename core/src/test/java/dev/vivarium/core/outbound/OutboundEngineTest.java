package dev.vivarium.core.outbound;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.dns.TestDnsServer;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Guests making outbound requests through the whole engine, against a real upstream. */
@Timeout(120)
class OutboundEngineTest {
    private static TestUpstream upstream;
    private static TestDnsServer dns;

    @BeforeAll
    static void startServers() throws Exception {
        upstream = new TestUpstream();
        dns = new TestDnsServer();
    }

    @AfterAll
    static void stopServers() throws Exception {
        dns.close();
        upstream.close();
    }

    private static Vivarium engine(Path guests, String... routes) {
        VivariumOptions.Builder b = VivariumOptions.builder().guestDirectory(guests).poolSize(1);
        for (String r : routes) {
            b.route(r);
        }
        return Vivarium.builder(b.build()).dnsResolver(dns.resolver(Duration.ofSeconds(2))).start();
    }

    private static Outcome get(Vivarium v, String path, Map<String, String> headers) {
        Headers h = new Headers();
        headers.forEach(h::add);
        return v.handle(
                v.route("x", path), new GuestRequest("GET", path, "x", h, null, "127.0.0.1"));
    }

    /** {@code GET /a} (http_async.wat) with the upstream's /fast and /slow and {@code deadUrl}. */
    private static Outcome getAsync(Vivarium v, String deadUrl) {
        return get(
                v,
                "/a",
                Map.of(
                        "x-fast-url", upstream.base() + "/fast",
                        "x-slow-url", upstream.base() + "/slow",
                        "x-dead-url", deadUrl));
    }

    private static String describe(Outcome o) {
        return o + " " + (o.body() == null ? "" : new String(o.body(), UTF_8));
    }

    @Test
    void handleRulesHoldForHandleZeroUnknownHandlesAndRefusedUrls() {
        try (Vivarium v = engine(TestGuests.watFixtures(), "/h -> http_handles.wat")) {
            Outcome o = get(v, "/h", Map.of());
            assertEquals(200, o.status(), describe(o));
            assertEquals("ok", new String(o.body(), UTF_8));
        }
    }

    @Test
    void asyncSelectAndPollFollowTheAbi() {
        String dead = TestUpstream.closedBase();
        try (Vivarium v =
                engine(
                        TestGuests.watFixtures(),
                        "/a -> http_async.wat; outbound=" + upstream.base() + " " + dead)) {
            Outcome o = getAsync(v, dead + "/");
            assertEquals(200, o.status(), describe(o));
            // the responses' bodies were held in maxTotalMemory only while the request ran
            long idle = v.pools().stream().mapToLong(p -> p.idleMemory()).sum();
            assertEquals(idle, v.memoryUsed());
        }
    }

    /** {@code GET /f?url=URL} to fetch.wasm. */
    private static Outcome fetch(Vivarium v, String url) {
        return v.handle(
                v.route("x", "/f"),
                new GuestRequest("GET", "/f?url=" + url, "x", new Headers(), null, "127.0.0.1"));
    }

    @Test
    void anOutboundResponseWithNoRoomInMaxTotalMemoryFailsTheCallNotTheServer() throws Exception {
        // an upstream of its own: other tests leave the shared one's threads in /hang
        try (TestUpstream own = new TestUpstream()) {
            VivariumOptions options =
                    VivariumOptions.builder()
                            .guestDirectory(TestGuests.dist())
                            .poolSize(1)
                            .maxMemoryPages(24)
                            .maxTotalMemory(32 * 65536)
                            .route("/f -> fetch.wasm; outbound=" + own.base())
                            .build();
            try (Vivarium v =
                    Vivarium.builder(options)
                            .dnsResolver(dns.resolver(Duration.ofSeconds(2)))
                            .start()) {
                // 3 MB cannot be held in 2 MiB: the guest's send fails, and it answers for itself
                Outcome o = fetch(v, own.base() + "/big?size=3000000");
                assertEquals(502, o.status(), describe(o));
                assertTrue(describe(o).contains("fetch failed"), describe(o));
                long idle = v.pools().stream().mapToLong(p -> p.idleMemory()).sum();
                assertEquals(idle, v.memoryUsed());
                Outcome small = fetch(v, own.base() + "/big?size=1000");
                assertEquals(200, small.status(), describe(small));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"send", "wait", "xselect"})
    void theDeadlineInterruptsABlockingCallWith504(String mode) {
        try (Vivarium v =
                engine(
                        TestGuests.watFixtures(),
                        "/b -> http_block.wat; deadline=300ms; outbound=" + upstream.base())) {
            long start = System.nanoTime();
            Outcome o = get(v, "/b", Map.of("x-url", upstream.base() + "/hang", "x-mode", mode));
            assertEquals(504, o.status(), describe(o));
            assertEquals(Outcome.Kind.DEADLINE, o.kind());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "prompt");
        }
    }

    /**
     * Found by the soak run: the outbound request's own timeout was the time left rounded down to
     * whole milliseconds, so it could fire just before the deadline and the guest answered 200.
     */
    @Test
    void aBlockingCallPastTheDeadlineIsA504EveryTime() {
        try (Vivarium v =
                engine(
                        TestGuests.watFixtures(),
                        "/b -> http_block.wat; deadline=20ms; outbound=" + upstream.base())) {
            java.util.List<String> wrong = new java.util.ArrayList<>();
            for (int i = 0; i < 60; i++) {
                for (String mode : new String[] {"send", "wait", "xselect"}) {
                    Outcome o =
                            get(
                                    v,
                                    "/b",
                                    Map.of("x-url", upstream.base() + "/hang", "x-mode", mode));
                    if (o.status() != 504) {
                        wrong.add(mode + ": " + describe(o));
                    }
                }
            }
            assertEquals(java.util.List.of(), wrong);
        }
    }

    @Test
    void theOutboundTimeoutNeverEndsBeforeTheDeadline() {
        Duration tenSeconds = Duration.ofSeconds(10);
        assertEquals(2, OutboundSession.timeoutMillis(1_500_000, tenSeconds), "rounded up");
        assertEquals(1, OutboundSession.timeoutMillis(300_000, tenSeconds));
        assertEquals(3, OutboundSession.timeoutMillis(3_000_000, tenSeconds), "exact stays");
        assertEquals(10_000, OutboundSession.timeoutMillis(60_000_000_000L, tenSeconds));
    }

    @Test
    void withoutAnAllowlistNothingIsReachable() {
        try (Vivarium v = engine(TestGuests.watFixtures(), "/a -> http_async.wat")) {
            Outcome o = getAsync(v, upstream.base() + "/");
            assertEquals(500, o.status());
            assertEquals("check 1 got -1", new String(o.body(), UTF_8), "req_create refused");
        }
    }

    @Test
    void theGlobalAllowSettingAddsToEveryRoute() throws Exception {
        Path kv = Files.createTempDirectory("vivarium-kv");
        String dead = TestUpstream.closedBase();
        VivariumOptions options =
                VivariumOptions.parse(
                        Map.of(
                                "routes", "/a -> http_async.wat",
                                "poolSize", "1",
                                "outbound.allow", upstream.base() + ", " + dead,
                                "outbound.maxSubrequests", "8"),
                        TestGuests.watFixtures(),
                        kv);
        try (Vivarium v =
                Vivarium.builder(options)
                        .dnsResolver(dns.resolver(Duration.ofSeconds(2)))
                        .start()) {
            Outcome o = getAsync(v, dead + "/");
            assertEquals(200, o.status(), describe(o));
        }
    }

    @Test
    void aBadAllowlistEntryFailsStartNamingTheRoute() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                engine(
                                        TestGuests.watFixtures(),
                                        "/h -> http_handles.wat; outbound=ftp://x"));
        assertTrue(e.getMessage().contains("ftp://x"), e.getMessage());
        assertTrue(e.getMessage().contains("/h -> http_handles.wat"), e.getMessage());
    }

    /** The Rust fixture checks the SDK's client end to end; see guests/fixtures/fixture_http. */
    @Test
    void fixture_http() {
        Path wasm = TestGuests.dist().resolve("fixture_http.wasm");
        Assumptions.assumeTrue(Files.exists(wasm), "guests/dist/fixture_http.wasm is not built");
        try (Vivarium v =
                engine(
                        TestGuests.dist(),
                        "/* -> fixture_http.wasm; deadline=20s; outbound=" + upstream.base())) {
            Outcome o = get(v, "/fixture", Map.of("x-upstream", upstream.base()));
            assertEquals(200, o.status(), describe(o));
            assertEquals("ok", new String(o.body(), UTF_8));
        }
    }
}
