package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.OutboundHandles.ERROR;
import static dev.vivarium.core.abi.OutboundHandles.NOT_READY;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.dns.TestDnsServer;
import dev.vivarium.core.engine.MemoryBudget;
import dev.vivarium.core.outbound.InFlight;
import dev.vivarium.core.outbound.OutboundHttp;
import dev.vivarium.core.outbound.OutboundOptions;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.outbound.TestUpstream;
import dev.vivarium.core.resources.NoMemoryException;
import dev.vivarium.core.testing.Interrupter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The outbound verbs through the guest's handle tables, against a real upstream on 127.0.0.1. */
@Timeout(60)
class OutboundHandlesTest {
    private static TestUpstream upstream;
    private static TestDnsServer dns;
    private static OutboundHttp http;

    private OutboundHandles session;

    @BeforeAll
    static void startServers() throws Exception {
        upstream = new TestUpstream();
        dns = new TestDnsServer();
        http = OutboundHttp.start(OutboundOptions.defaults(), dns.resolver(Duration.ofSeconds(2)));
    }

    @AfterAll
    static void stopServers() throws Exception {
        http.close();
        dns.close();
        upstream.close();
    }

    @BeforeEach
    void open() {
        session = open(http, upstream.base());
    }

    @AfterEach
    void close() {
        session.close();
    }

    static OutboundHandles open(OutboundHttp http, String... allow) {
        return new OutboundHandles(
                http.openSession(
                        "test-guest",
                        OutboundPolicy.parse("/t -> t.wasm", List.of(allow), "test"),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(30)));
    }

    private int get(String path) {
        int req = session.create("GET", upstream.base() + path);
        assertTrue(req >= 1, "created " + path);
        return req;
    }

    private String body(int resp) {
        return new String(session.response(resp).body(), UTF_8);
    }

    @Test
    void bodiesAreHeldInTheEnginesMemoryLimitUntilTheSessionCloses() throws Exception {
        MemoryBudget memory = new MemoryBudget(1 << 20);
        try (OutboundHandles s =
                new OutboundHandles(
                        http.openSession(
                                "test-guest",
                                OutboundPolicy.parse(
                                        "/t -> t.wasm", List.of(upstream.base()), "test"),
                                System.nanoTime() + TimeUnit.SECONDS.toNanos(30),
                                memory))) {
            // a request body: held while the session lasts, the difference when replaced
            int post = s.create("POST", upstream.base() + "/echo");
            assertTrue(s.setBody(post, new byte[600_000]));
            assertEquals(600_000, memory.used());
            assertTrue(s.setBody(post, new byte[400_000]));
            assertEquals(400_000, memory.used());
            int other = s.create("POST", upstream.base() + "/echo");
            NoMemoryException refused =
                    assertThrows(
                            NoMemoryException.class, () -> s.setBody(other, new byte[700_000]));
            assertEquals(
                    "no memory for the outbound request body (683 KiB): guests hold 390 KiB of"
                            + " maxTotalMemory (1 MiB)",
                    refused.getMessage());

            // a response body: held as it arrives; one that does not fit fails the request
            int small = s.send(s.create("GET", upstream.base() + "/big?size=300000"));
            assertTrue(small >= 1);
            assertEquals(700_000, memory.used());
            // refused by its declared length, before any of it arrives
            assertEquals(ERROR, s.send(s.create("GET", upstream.base() + "/big?size=500000")));
            assertEquals(700_000, memory.used());
            // no declared length: refused as it arrives, and what it got is given back
            assertEquals(
                    ERROR, s.send(s.create("GET", upstream.base() + "/big?size=500000&chunked")));
            assertEquals(700_000, memory.used());
        }
        assertEquals(0, memory.used(), "all given back when the guest request ends");
    }

    @Test
    void sendReturnsTheUpstreamResponse() throws Exception {
        int resp = session.send(get("/fast"));
        assertTrue(resp >= 1);
        assertEquals(200, session.response(resp).status());
        assertEquals("fast", body(resp));
        assertFalse(session.response(resp).headers().names().isEmpty());
    }

    @Test
    void sendConsumesTheRequestHandle() throws Exception {
        int req = get("/fast");
        assertTrue(session.send(req) >= 1);
        assertNull(session.request(req));
        assertEquals(ERROR, session.send(req));
        assertEquals(ERROR, session.sendAsync(req));
        assertFalse(session.setHeader(req, "x", List.of("y")));
        assertFalse(session.setBody(req, new byte[1]));
    }

    @Test
    void sendAsyncRequestsRunConcurrently() throws Exception {
        TestUpstream own = new TestUpstream();
        try (OutboundHandles s = open(http, own.base())) {
            int p1 = s.sendAsync(s.create("GET", own.base() + "/slow"));
            int p2 = s.sendAsync(s.create("GET", own.base() + "/slow"));
            assertTrue(p1 >= 1 && p2 >= 1 && p1 != p2);
            assertTrue(s.await(p1) >= 1);
            assertTrue(s.await(p2) >= 1);
            assertEquals(2, own.slowMaxActive(), "both /slow requests were served at once");
        } finally {
            own.close();
        }
    }

    @Test
    void selectReturnsTheFirstToFinishAndKeepsTheOthers() throws Exception {
        int slow = session.sendAsync(get("/slow"));
        int fast = session.sendAsync(get("/fast"));
        OutboundHandles.Selected first = session.select(new int[] {slow, fast});
        assertEquals(fast, first.pending());
        assertEquals("fast", body(first.response()));
        assertEquals(ERROR, session.poll(fast), "the finished handle is consumed");
        int resp = session.await(slow);
        assertEquals("slow", body(resp));
        assertEquals(ERROR, session.await(slow), "wait consumed it");
    }

    @Test
    void pollSaysNotReadyThenConsumesTheFinishedHandle() throws Exception {
        int pr = session.sendAsync(get("/slow"));
        assertEquals(NOT_READY, session.poll(pr));
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int resp = NOT_READY;
        while (resp == NOT_READY && System.nanoTime() < giveUp) {
            Thread.sleep(20);
            resp = session.poll(pr);
        }
        assertTrue(resp >= 1, "got " + resp);
        assertEquals("slow", body(resp));
        assertEquals(ERROR, session.poll(pr));
    }

    @Test
    void selectReportsTheFailedHandleAndConsumesIt() throws Exception {
        String closed = TestUpstream.closedBase();
        try (OutboundHandles s = open(http, closed)) {
            int pr = s.sendAsync(s.create("GET", closed + "/"));
            assertTrue(pr >= 1);
            assertEquals(new OutboundHandles.Selected(pr, ERROR), s.select(new int[] {pr}));
            assertEquals(ERROR, s.await(pr));
        }
    }

    @Test
    void selectOnAnUnknownHandleReportsThatHandle() throws Exception {
        int pr = session.sendAsync(get("/fast"));
        assertEquals(new OutboundHandles.Selected(99, ERROR), session.select(new int[] {pr, 99}));
        assertEquals(new OutboundHandles.Selected(ERROR, ERROR), session.select(new int[0]));
        assertTrue(session.await(pr) >= 1, "the valid handle was left alone");
    }

    @Test
    void connectionRefusedIsAnError() throws Exception {
        String closed = TestUpstream.closedBase();
        try (OutboundHandles s = open(http, closed)) {
            assertEquals(ERROR, s.send(s.create("GET", closed + "/")));
        }
    }

    @Test
    void echoSeesMethodHeadersAndBodyButNoClientAddedHeaders() throws Exception {
        int req = session.create("POST", upstream.base() + "/echo");
        assertTrue(session.setHeader(req, "X-Multi", List.of("one", "two")));
        assertTrue(session.setHeader(req, "content-type", List.of("text/plain")));
        assertTrue(session.setBody(req, "ping body".getBytes(UTF_8)));
        String echoed = body(session.send(req)).toLowerCase();
        assertTrue(echoed.startsWith("post\n"), echoed);
        assertTrue(echoed.contains("x-multi: one") && echoed.contains("two"), echoed);
        assertTrue(echoed.contains("content-type: text/plain\n"), echoed);
        assertTrue(echoed.endsWith("\n\nping body"), echoed);
        assertFalse(echoed.contains("user-agent"), echoed);
        assertFalse(echoed.contains("accept-encoding"), echoed);
    }

    @Test
    void aGuestHostHeaderNeverChangesTheDestination() throws Exception {
        int req = session.create("GET", upstream.base() + "/echo");
        assertTrue(session.setHeader(req, "Host", List.of("metadata.internal")));
        assertTrue(session.setHeader(req, "Connection", List.of("close, x-smuggle")));
        assertTrue(session.setHeader(req, "Transfer-Encoding", List.of("chunked")));
        String echoed = body(session.send(req)).toLowerCase();
        assertTrue(echoed.contains("host: 127.0.0.1:" + upstream.port()), echoed);
        assertFalse(echoed.contains("metadata.internal"), echoed);
        assertFalse(echoed.contains("x-smuggle"), echoed);
        assertFalse(echoed.contains("chunked"), echoed);
    }

    @Test
    void redirectsCookiesAndEncodingsPassThroughUntouched() throws Exception {
        int redirect = session.send(get("/redirect"));
        assertEquals(302, session.response(redirect).status());
        assertEquals("/fast", session.response(redirect).headers().first("location"));

        session.send(get("/set-cookie"));
        assertFalse(body(session.send(get("/echo"))).toLowerCase().contains("cookie"));

        int gz = session.send(get("/gzip"));
        assertArrayEquals(TestUpstream.gzipHello(), session.response(gz).body());
        assertEquals("gzip", session.response(gz).headers().first("content-encoding"));
    }

    @Test
    void refusesDestinationsOutsideTheAllowlist() {
        assertEquals(ERROR, session.create("GET", "http://127.0.0.2:" + upstream.port() + "/"));
        assertEquals(
                ERROR, session.create("GET", "http://127.0.0.1:" + (upstream.port() + 1) + "/"));
        assertEquals(ERROR, session.create("GET", "https://127.0.0.1:" + upstream.port() + "/"));
        assertEquals(ERROR, session.create("GET", "http://localhost:" + upstream.port() + "/"));
        assertEquals(ERROR, session.create("GET", "http://2130706433:" + upstream.port() + "/"));
        assertEquals(ERROR, session.create("GET", "http://0x7f.1:" + upstream.port() + "/"));
        assertEquals(ERROR, session.create("BAD METHOD", upstream.base() + "/"));
        assertEquals(ERROR, session.create("CONNECT", upstream.base() + "/"));
        assertEquals(ERROR, session.create("GET", "::not a url::"));
        assertEquals(0, session.sent());
    }

    @Test
    void ipv6MappedFormOfAnAllowedAddressIsTheSameDestination() throws Exception {
        int req = session.create("GET", "http://[::ffff:127.0.0.1]:" + upstream.port() + "/fast");
        assertEquals("fast", body(session.send(req)));
    }

    @Test
    void localhostEntryReachesLoopbackWithoutDns() throws Exception {
        String base = "http://localhost:" + upstream.port();
        try (OutboundHandles s = open(http, base)) {
            int resp = s.send(s.create("GET", base + "/fast"));
            assertEquals("fast", new String(s.response(resp).body(), UTF_8));
        }
    }

    @Test
    void aNameThatResolvesToLoopbackIsRefusedAtConnectTime() throws Exception {
        dns.a("rebind.test", "127.0.0.1");
        dns.aaaa("six.test", "::1");
        dns.a("mixed.test", "192.0.2.7").a("mixed.test", "10.0.0.7");
        dns.a("meta.test", "169.254.169.254");
        int before = upstream.requests();
        for (String host :
                List.of("rebind.test", "six.test", "mixed.test", "meta.test", "missing.test")) {
            String base = "http://" + host + ":" + upstream.port();
            try (OutboundHandles s = open(http, base)) {
                int req = s.create("GET", base + "/fast");
                assertTrue(req >= 1, "the name itself is allowed: " + host);
                assertEquals(ERROR, s.send(req), host);
            }
        }
        assertEquals(before, upstream.requests(), "nothing reached the upstream");
    }

    @Test
    void anInterruptAbortsABlockingSend() throws Exception {
        long start = System.nanoTime();
        try (Interrupter interrupter = Interrupter.interruptMeIn(200)) {
            session.send(get("/hang"));
            throw new AssertionError("send returned instead of being interrupted");
        } catch (InterruptedException expected) {
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        }
    }

    @Test
    void closeAbortsRequestsInFlight() throws Exception {
        int pr = session.sendAsync(get("/hang"));
        InFlight f = session.inFlight(pr);
        session.close();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!f.isDone() && System.nanoTime() < giveUp) {
            Thread.sleep(10);
        }
        assertTrue(f.isDone(), "aborted: /hang never answers");
        assertEquals(ERROR, session.poll(pr));
    }

    @Test
    void handlesOfTheThreeKindsAreSeparate() throws Exception {
        int req = get("/fast");
        int pr = session.sendAsync(get("/fast"));
        int resp = session.await(pr);
        assertEquals(1, req);
        assertEquals(1, pr);
        assertEquals(1, resp);
        assertNotEquals(null, session.request(1));
        assertNotEquals(null, session.response(1));
    }
}
