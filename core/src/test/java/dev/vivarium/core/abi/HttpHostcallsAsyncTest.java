package dev.vivarium.core.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import dev.vivarium.core.outbound.OutboundHttp;
import dev.vivarium.core.outbound.OutboundOptions;
import dev.vivarium.core.outbound.TestUpstream;
import dev.vivarium.core.testing.Interrupter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The blocking and non-blocking outbound hostcalls (poll, select, wait) and interrupts, on a
 * standalone memory against a real upstream on 127.0.0.1.
 */
@Timeout(60)
class HttpHostcallsAsyncTest extends HttpHostcallsTestBase {
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
        int prOut = heap.outParams();
        int resp = HttpHostcalls.pendingReqSelect(ctx, heap.i32s(slow, fast), 2, prOut);
        assertEquals(fast, heap.i32(prOut));
        assertEquals("fast", body(resp));
        assertEquals(-1, HttpHostcalls.pendingReqPoll(ctx, fast), "the finished one is invalid");
        int slowResp = HttpHostcalls.pendingReqWait(ctx, slow);
        assertEquals("slow", body(slowResp));
    }

    @Test
    void selectWritesPrOutOnErrorsToo() {
        int prOut = heap.outParams();
        assertEquals(-1, HttpHostcalls.pendingReqSelect(ctx, heap.i32s(), 0, prOut));
        assertEquals(-1, heap.i32(prOut), "no handles: -1");

        int prs = heap.i32s(42);
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
        String origin = TestUpstream.closedBase();
        ctx = context(heap, http, origin, inSeconds(30));
        int pr = HttpHostcalls.reqSendAsync(ctx, create("GET", origin + "/"));
        int prOut = heap.outParams();
        assertEquals(-1, HttpHostcalls.pendingReqSelect(ctx, heap.i32s(pr), 1, prOut));
        assertEquals(pr, heap.i32(prOut));
        assertEquals(-1, HttpHostcalls.pendingReqWait(ctx, pr), "consumed");
        ctx.close();
    }

    @Test
    void anInterruptEndsABlockingCallAndKeepsTheFlag() throws Exception {
        int req = get("/hang");
        try (Interrupter interrupter = Interrupter.interruptMeIn(200)) {
            assertThrows(ChicoryInterruptedException.class, () -> HttpHostcalls.reqSend(ctx, req));
            assertTrue(Thread.interrupted(), "the flag stays set for the dispatcher");
        }
    }

    @Test
    void anInterruptBeforeSendingEndsTheCallEvenIfTheClientMustStart() throws Exception {
        try (OutboundHttp cold = OutboundHttp.start(OutboundOptions.defaults(), null)) {
            ctx = context(heap, cold, upstream.base(), inSeconds(30));
            int req = get("/hang");
            Thread.currentThread().interrupt();
            try {
                assertThrows(
                        ChicoryInterruptedException.class, () -> HttpHostcalls.reqSend(ctx, req));
                assertTrue(Thread.interrupted(), "the flag stays set for the dispatcher");
            } finally {
                Thread.interrupted();
                ctx.close();
            }
        }
    }
}
