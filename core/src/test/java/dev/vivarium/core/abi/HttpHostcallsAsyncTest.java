package dev.vivarium.core.abi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.abi.HttpHostcallsTest.Heap;
import dev.vivarium.core.config.RouteSpec;
import dev.vivarium.core.outbound.OutboundHttp;
import dev.vivarium.core.outbound.OutboundOptions;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.outbound.TestUpstream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The blocking and non-blocking outbound hostcalls (poll, select, wait) and interrupts, on a
 * standalone memory against a real upstream on 127.0.0.1.
 */
@Timeout(60)
class HttpHostcallsAsyncTest {
    private static TestUpstream upstream;
    private static OutboundHttp http;

    private Heap heap;
    private CallContext ctx;

    @BeforeAll
    static void startUpstream() throws Exception {
        upstream = new TestUpstream();
        http = OutboundHttp.start(OutboundOptions.defaults(), null);
        // as the engine does at start: a route that may send requests starts the client
        http.policy(RouteSpec.parse("/t -> t.wasm; outbound=" + upstream.base()));
    }

    @AfterAll
    static void stopUpstream() throws Exception {
        http.close();
        upstream.close();
    }

    @BeforeEach
    void newContext() {
        heap = new Heap();
        ctx = context(heap, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    private static CallContext context(Heap heap, long deadlineNanos) {
        OutboundPolicy policy =
                OutboundPolicy.parse("/t -> t.wasm", List.of(upstream.base()), "test");
        return CallContext.builder(
                        "test-guest",
                        new GuestRequest("GET", "/", "x", new Headers(), null, "127.0.0.1"))
                .memory(heap.memory, heap)
                .outbound(() -> http.openSession("test-guest", policy, deadlineNanos))
                .deadlineNanos(deadlineNanos)
                .build();
    }

    private int create(String method, String url) {
        String m = method;
        int mp = heap.put(m);
        int up = heap.put(url);
        return HttpHostcalls.reqCreate(ctx, mp, m.length(), up, url.getBytes(UTF_8).length);
    }

    private int get(String path) {
        int req = create("GET", upstream.base() + path);
        assertTrue(req >= 1, "req_create " + path + " = " + req);
        return req;
    }

    private String body(int resp) {
        int out = heap.outParams();
        HttpHostcalls.respGetBody(ctx, out, out + 4, resp);
        return new String(heap.bytesOut(out), UTF_8);
    }

    @Test
    void pollSaysNotReadyAndConsumesOnlyWhenDone() throws Exception {
        int pr = HttpHostcalls.reqSendAsync(ctx, get("/slow"));
        assertTrue(pr >= 1);
        assertEquals(-1, HttpHostcalls.reqSendAsync(ctx, 1), "send_async consumed the request");
        assertEquals(-2, HttpHostcalls.pendingReqPoll(ctx, pr));
        int resp = -2;
        for (int i = 0; i < 500 && resp == -2; i++) {
            Thread.sleep(20);
            resp = HttpHostcalls.pendingReqPoll(ctx, pr);
        }
        assertTrue(resp >= 1, "poll gave " + resp);
        assertEquals("slow", body(resp));
        assertEquals(-1, HttpHostcalls.pendingReqPoll(ctx, pr));
        assertEquals(-1, HttpHostcalls.pendingReqWait(ctx, pr));
    }

    @Test
    void selectWritesTheFinishedHandleAndKeepsTheOthers() {
        int slow = HttpHostcalls.reqSendAsync(ctx, get("/slow"));
        int fast = HttpHostcalls.reqSendAsync(ctx, get("/fast"));
        int prs = heap.malloc(8);
        heap.memory.writeI32(prs, slow);
        heap.memory.writeI32(prs + 4, fast);
        int prOut = heap.outParams();
        int resp = HttpHostcalls.pendingReqSelect(ctx, prs, 2, prOut);
        assertEquals(fast, heap.i32(prOut));
        assertEquals("fast", body(resp));
        assertEquals(-1, HttpHostcalls.pendingReqPoll(ctx, fast), "the finished one is invalid");
        int slowResp = HttpHostcalls.pendingReqWait(ctx, slow);
        assertEquals("slow", body(slowResp));
    }

    @Test
    void selectWritesPrOutOnErrorsToo() {
        int prOut = heap.outParams();
        assertEquals(-1, HttpHostcalls.pendingReqSelect(ctx, heap.malloc(4), 0, prOut));
        assertEquals(-1, heap.i32(prOut), "no handles: -1");

        int prs = heap.malloc(4);
        heap.memory.writeI32(prs, 42);
        prOut = heap.outParams();
        assertEquals(-1, HttpHostcalls.pendingReqSelect(ctx, prs, 1, prOut));
        assertEquals(42, heap.i32(prOut), "no session yet: the handle given");

        int pr = HttpHostcalls.reqSendAsync(ctx, get("/fast"));
        heap.memory.writeI32(prs, pr + 10);
        prOut = heap.outParams();
        assertEquals(-1, HttpHostcalls.pendingReqSelect(ctx, prs, 1, prOut));
        assertEquals(pr + 10, heap.i32(prOut), "an unknown handle: that handle");
    }

    @Test
    void selectOnAFailedRequestWritesItsHandle() throws Exception {
        int port;
        try (java.net.ServerSocket s =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Heap h = new Heap();
        OutboundPolicy policy =
                OutboundPolicy.parse("t", List.of("http://127.0.0.1:" + port), "test");
        CallContext c =
                CallContext.builder("g", new GuestRequest("GET", "/", "x", new Headers(), null, ""))
                        .memory(h.memory, h)
                        .outbound(
                                () ->
                                        http.openSession(
                                                "g",
                                                policy,
                                                System.nanoTime() + TimeUnit.SECONDS.toNanos(30)))
                        .build();
        String url = "http://127.0.0.1:" + port + "/";
        int req = HttpHostcalls.reqCreate(c, h.put("GET"), 3, h.put(url), url.length());
        int pr = HttpHostcalls.reqSendAsync(c, req);
        int prs = h.malloc(4);
        h.memory.writeI32(prs, pr);
        int prOut = h.outParams();
        assertEquals(-1, HttpHostcalls.pendingReqSelect(c, prs, 1, prOut));
        assertEquals(pr, h.i32(prOut));
        assertEquals(-1, HttpHostcalls.pendingReqWait(c, pr), "consumed");
        c.close();
    }

    @Test
    void anInterruptEndsABlockingCallAndKeepsTheFlag() throws Exception {
        int req = get("/hang");
        Thread self = Thread.currentThread();
        Thread interrupter =
                new Thread(
                        () -> {
                            try {
                                Thread.sleep(200);
                                self.interrupt();
                            } catch (InterruptedException e) {
                                // test ended
                            }
                        });
        interrupter.start();
        try {
            assertThrows(ChicoryInterruptedException.class, () -> HttpHostcalls.reqSend(ctx, req));
            assertTrue(Thread.interrupted(), "the flag stays set for the dispatcher");
        } finally {
            interrupter.join();
            Thread.interrupted();
        }
    }

    @Test
    void anInterruptBeforeSendingEndsTheCallEvenIfTheClientMustStart() throws Exception {
        try (OutboundHttp cold = OutboundHttp.start(OutboundOptions.defaults(), null)) {
            OutboundPolicy policy = OutboundPolicy.parse("t", List.of(upstream.base()), "test");
            Heap h = new Heap();
            CallContext c =
                    CallContext.builder(
                                    "g", new GuestRequest("GET", "/", "x", new Headers(), null, ""))
                            .memory(h.memory, h)
                            .outbound(
                                    () ->
                                            cold.openSession(
                                                    "g",
                                                    policy,
                                                    System.nanoTime()
                                                            + TimeUnit.SECONDS.toNanos(30)))
                            .build();
            String url = upstream.base() + "/hang";
            int req = HttpHostcalls.reqCreate(c, h.put("GET"), 3, h.put(url), url.length());
            Thread.currentThread().interrupt();
            try {
                assertThrows(
                        ChicoryInterruptedException.class, () -> HttpHostcalls.reqSend(c, req));
                assertTrue(Thread.interrupted(), "the flag stays set for the dispatcher");
            } finally {
                Thread.interrupted();
                c.close();
            }
        }
    }
}
