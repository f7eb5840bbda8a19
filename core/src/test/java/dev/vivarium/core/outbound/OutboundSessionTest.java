package dev.vivarium.core.outbound;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The outbound domain speaks requests, responses and {@link OutboundFailure}s, no handles or ABI
 * codes (those are the ABI's: {@code abi.OutboundHandlesTest}), against a real upstream.
 */
@Timeout(60)
class OutboundSessionTest {
    private static TestUpstream upstream;
    private static OutboundHttp http;

    private OutboundSession session;

    @BeforeAll
    static void startServers() throws Exception {
        upstream = new TestUpstream();
        http = OutboundHttp.start(OutboundOptions.defaults(), null);
    }

    @AfterAll
    static void stopServers() throws Exception {
        http.close();
        upstream.close();
    }

    @BeforeEach
    void open() {
        session =
                http.openSession(
                        "test-guest",
                        OutboundPolicy.parse("/t -> t.wasm", List.of(upstream.base()), "test"),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    @AfterEach
    void close() {
        session.close();
    }

    @Test
    void sendAnswersTheUpstreamResponse() throws Exception {
        OutboundRequest r = session.create("POST", upstream.base() + "/echo");
        session.setHeader(r, "X-Multi", List.of("one", "two"));
        session.setBody(r, "ping".getBytes(UTF_8));
        OutboundResponse response = session.send(r);
        assertEquals(200, response.status());
        String echoed = new String(response.body(), UTF_8).toLowerCase();
        assertTrue(echoed.startsWith("post\n") && echoed.endsWith("\n\nping"), echoed);
        assertEquals(1, session.sent());
    }

    @Test
    void refusalsAreFailuresThatSayWhy() {
        OutboundFailure method =
                assertThrows(
                        OutboundFailure.class, () -> session.create("BAD METHOD", upstream.base()));
        assertTrue(method.getMessage().contains("not an HTTP token"), method.getMessage());
        OutboundFailure elsewhere =
                assertThrows(
                        OutboundFailure.class,
                        () -> session.create("GET", "http://127.0.0.2:" + upstream.port() + "/"));
        assertTrue(
                elsewhere.getMessage().contains("not in the route's outbound allowlist"),
                elsewhere.getMessage());
        assertEquals(0, session.sent());
    }

    @Test
    void aFailedRequestIsAFailureNotAResponse() throws Exception {
        String closed = TestUpstream.closedBase();
        try (OutboundSession s =
                http.openSession(
                        "test-guest",
                        OutboundPolicy.parse("/t -> t.wasm", List.of(closed), "test"),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(30))) {
            OutboundRequest r = s.create("GET", closed + "/");
            assertThrows(OutboundFailure.class, () -> s.send(r));
        }
    }

    @Test
    void selectNamesTheFirstToFinishAndFinishGivesItsOutcome() throws Exception {
        InFlight slow = session.start(session.create("GET", upstream.base() + "/slow"));
        InFlight fast = session.start(session.create("GET", upstream.base() + "/fast"));
        assertEquals(1, session.select(List.of(slow, fast)));
        assertEquals("fast", new String(session.finish(fast).body(), UTF_8));
        assertFalse(slow.isDone(), "the other one is still running");
        assertEquals("slow", new String(session.await(slow).body(), UTF_8));
    }

    @Test
    void theGuestDeadlineFailsWhatStartsAfterIt() throws Exception {
        try (OutboundSession s =
                http.openSession(
                        "test-guest",
                        OutboundPolicy.parse("/t -> t.wasm", List.of(upstream.base()), "test"),
                        System.nanoTime() + Duration.ofMillis(1).toNanos())) {
            Thread.sleep(5);
            OutboundRequest r = s.create("GET", upstream.base() + "/fast");
            OutboundFailure late = assertThrows(OutboundFailure.class, () -> s.start(r));
            assertTrue(late.getMessage().contains("deadline has passed"), late.getMessage());
        }
    }
}
