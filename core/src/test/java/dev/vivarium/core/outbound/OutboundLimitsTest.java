package dev.vivarium.core.outbound;

import static dev.vivarium.core.abi.OutboundHandles.ERROR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.abi.OutboundHandles;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every outbound limit fails the one call that breaks it with -1 (and an INFO line naming the
 * setting), against a real upstream on 127.0.0.1.
 */
@Timeout(60)
class OutboundLimitsTest {
    private static TestUpstream upstream;
    private static OutboundHttp http;

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

    private static OutboundHandles open(OutboundHttp http, String... allow) {
        return new OutboundHandles(
                http.openSession(
                        "test-guest",
                        OutboundPolicy.parse("/t -> t.wasm", List.of(allow), "test"),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(30)));
    }

    @Test
    void maxSubrequestsLimitsSendsPerGuestRequest() throws Exception {
        try (OutboundHttp limited =
                        OutboundHttp.start(
                                OutboundOptions.builder().maxSubrequests(2).build(), null);
                OutboundHandles s = open(limited, upstream.base())) {
            assertTrue(s.send(s.create("GET", upstream.base() + "/fast")) >= 1);
            int pr = s.sendAsync(s.create("GET", upstream.base() + "/fast"));
            assertTrue(s.await(pr) >= 1);
            int before = upstream.requests();
            int third = s.create("GET", upstream.base() + "/fast");
            assertEquals(ERROR, s.send(third));
            assertEquals(ERROR, s.sendAsync(s.create("GET", upstream.base() + "/fast")));
            assertEquals(before, upstream.requests());
            assertNull(s.request(third), "a refused send still consumes the request");
        }
    }

    @Test
    void maxPendingLimitsRequestsInFlight() throws Exception {
        try (OutboundHttp limited =
                        OutboundHttp.start(OutboundOptions.builder().maxPending(1).build(), null);
                OutboundHandles s = open(limited, upstream.base())) {
            int first = s.sendAsync(s.create("GET", upstream.base() + "/slow"));
            assertTrue(first >= 1);
            int refused = s.create("GET", upstream.base() + "/fast");
            assertEquals(ERROR, s.sendAsync(refused));
            assertNull(s.request(refused), "consumed");
            assertTrue(s.await(first) >= 1);
            assertTrue(s.sendAsync(s.create("GET", upstream.base() + "/fast")) >= 1, "room again");
        }
    }

    @Test
    void maxResponseSizeFailsLargerResponses() throws Exception {
        try (OutboundHttp limited =
                        OutboundHttp.start(
                                OutboundOptions.builder().maxResponseSize(1000).build(), null);
                OutboundHandles s = open(limited, upstream.base())) {
            int ok = s.send(s.create("GET", upstream.base() + "/big?size=1000"));
            assertEquals(1000, s.response(ok).body().length);
            assertEquals(ERROR, s.send(s.create("GET", upstream.base() + "/big?size=1001")));
            assertEquals(ERROR, s.send(s.create("GET", upstream.base() + "/big?size=3000000")));
            int chunked = s.send(s.create("GET", upstream.base() + "/big?size=1000&chunked"));
            assertEquals(1000, s.response(chunked).body().length);
            assertEquals("chunked", s.response(chunked).headers().first("transfer-encoding"));
            assertEquals(
                    ERROR, s.send(s.create("GET", upstream.base() + "/big?size=1001&chunked")));
        }
    }

    @Test
    void maxTotalResponseSizeCountsEveryResponseOfOneGuestRequest() throws Exception {
        try (OutboundHttp limited =
                OutboundHttp.start(
                        OutboundOptions.builder().maxTotalResponseSize(2500).build(), null)) {
            try (OutboundHandles s = open(limited, upstream.base())) {
                assertTrue(s.send(s.create("GET", upstream.base() + "/big?size=1000")) >= 1);
                assertTrue(s.send(s.create("GET", upstream.base() + "/big?size=1000")) >= 1);
                // 500 left: a declared length of 1000 fails at the headers
                assertEquals(ERROR, s.send(s.create("GET", upstream.base() + "/big?size=1000")));
                // chunked: counted as the body arrives
                assertTrue(s.send(s.create("GET", upstream.base() + "/big?size=400&chunked")) >= 1);
                assertEquals(
                        ERROR, s.send(s.create("GET", upstream.base() + "/big?size=200&chunked")));
                assertEquals(
                        ERROR,
                        s.send(s.create("GET", upstream.base() + "/big?size=1&chunked")),
                        "the budget was used up by the failed one");
            }
            try (OutboundHandles next = open(limited, upstream.base())) {
                int r = next.send(next.create("GET", upstream.base() + "/big?size=2500"));
                assertTrue(r >= 1, "the next guest request has its own budget");
                assertEquals(2500, next.response(r).body().length);
            }
            try (OutboundHandles s = open(limited, upstream.base())) {
                // two at once: both pass the header check (2500 left each time), but their
                // bodies together do not fit
                int a = s.sendAsync(s.create("GET", upstream.base() + "/big?size=2000&chunked"));
                int b = s.sendAsync(s.create("GET", upstream.base() + "/big?size=2000&chunked"));
                int ra = s.await(a);
                int rb = s.await(b);
                assertTrue(ra == ERROR || rb == ERROR, "not both: " + ra + ", " + rb);
            }
        }
    }

    @Test
    void responsesWithoutABodyAreNotCountedByTheirDeclaredLength() throws Exception {
        try (OutboundHttp limited =
                        OutboundHttp.start(
                                OutboundOptions.builder()
                                        .maxResponseSize(1000)
                                        .maxTotalResponseSize(2500)
                                        .build(),
                                null);
                OutboundHandles s = open(limited, upstream.base())) {
            // HEAD answers with the length a GET would get, and no body
            int head = s.send(s.create("HEAD", upstream.base() + "/big?size=3000"));
            assertTrue(head >= 1, "HEAD of a resource larger than both limits");
            assertEquals("3000", s.response(head).headers().first("content-length"));
            assertEquals(0, s.response(head).body().length);
            int get = s.send(s.create("GET", upstream.base() + "/big?size=1000"));
            assertEquals(1000, s.response(get).body().length, "the HEAD took nothing");
        }
    }

    @Test
    void maxTotalRequestSizeCountsTheBodiesOfEveryRequestOfOneGuestRequest() throws Exception {
        try (OutboundHttp limited =
                        OutboundHttp.start(
                                OutboundOptions.builder().maxTotalRequestSize(2500).build(), null);
                OutboundHandles s = open(limited, upstream.base())) {
            int a = s.create("POST", upstream.base() + "/echo");
            int b = s.create("POST", upstream.base() + "/echo");
            assertTrue(s.setBody(a, new byte[2000]));
            assertFalse(s.setBody(b, new byte[1000]), "2000 + 1000 > 2500");
            assertTrue(s.setBody(a, new byte[1500]), "a replaced body counts once");
            assertTrue(s.setBody(b, new byte[1000]));
            int r = s.send(a);
            assertTrue(r >= 1);
            assertTrue(s.response(r).body().length > 1500, "echoed with its 1500-byte body");
            int c = s.create("POST", upstream.base() + "/echo");
            assertFalse(s.setBody(c, new byte[1]), "a sent request's body still counts");
            assertTrue(s.setBody(c, new byte[0]));
        }
    }

    @Test
    void timeoutFailsASlowUpstream() throws Exception {
        try (OutboundHttp limited =
                        OutboundHttp.start(
                                OutboundOptions.builder().timeout(Duration.ofMillis(200)).build(),
                                null);
                OutboundHandles s = open(limited, upstream.base())) {
            assertEquals(ERROR, s.send(s.create("GET", upstream.base() + "/hang")));
            int pr = s.sendAsync(s.create("GET", upstream.base() + "/hang"));
            assertEquals(ERROR, s.await(pr));
        }
    }

    @Test
    void connectTimeoutFailsAnAddressThatDoesNotAccept() throws Exception {
        // a listening socket whose accept queue is full drops further SYNs: connect hangs
        try (java.net.ServerSocket full =
                        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                OutboundHttp limited =
                        OutboundHttp.start(
                                OutboundOptions.builder()
                                        .connectTimeout(Duration.ofMillis(300))
                                        .timeout(Duration.ofSeconds(20))
                                        .build(),
                                null)) {
            List<java.net.Socket> fillers = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    java.net.Socket s = new java.net.Socket();
                    fillers.add(s);
                    try {
                        s.connect(full.getLocalSocketAddress(), 200);
                    } catch (java.io.IOException e) {
                        break; // the queue is full
                    }
                }
                String base = "http://127.0.0.1:" + full.getLocalPort();
                try (OutboundHandles s = open(limited, base)) {
                    long start = System.nanoTime();
                    assertEquals(ERROR, s.send(s.create("GET", base + "/")));
                    assertTrue(
                            System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10),
                            "failed by the connect timeout, not the 20 s total timeout");
                }
            } finally {
                for (java.net.Socket s : fillers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void theGuestDeadlineBoundsTheTimeout() throws Exception {
        OutboundHandles s =
                new OutboundHandles(
                        http.openSession(
                                "test-guest",
                                OutboundPolicy.parse("t", List.of(upstream.base()), "test"),
                                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300)));
        long start = System.nanoTime();
        assertEquals(ERROR, s.send(s.create("GET", upstream.base() + "/hang")));
        assertTrue(
                System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5),
                "well before outbound.timeout");
        Thread.sleep(350);
        int before = upstream.requests();
        assertEquals(ERROR, s.send(s.create("GET", upstream.base() + "/fast")), "deadline passed");
        assertEquals(before, upstream.requests());
        s.close();
    }
}
