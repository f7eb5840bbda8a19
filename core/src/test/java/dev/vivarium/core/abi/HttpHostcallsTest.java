package dev.vivarium.core.abi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.config.RouteSpec;
import dev.vivarium.core.outbound.OutboundHttp;
import dev.vivarium.core.outbound.OutboundOptions;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.outbound.TestUpstream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The outbound HTTP hostcalls on a standalone memory, against a real upstream on 127.0.0.1. */
@Timeout(60)
class HttpHostcallsTest {
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
    void handleZeroIsNeverAnOutboundHandle() {
        int name = heap.put("x-a");
        int values = heap.slices("b");
        int body = heap.put("body");
        assertEquals(-1, HttpHostcalls.reqSend(ctx, 0));
        assertEquals(-1, HttpHostcalls.reqSendAsync(ctx, 0));
        assertEquals(1, HttpHostcalls.reqSetHeader(ctx, 0, name, 3, values, 1));
        assertEquals(1, HttpHostcalls.reqSetBody(ctx, 0, body, 4));
        assertEquals(-1, HttpHostcalls.respGetResponseCode(ctx, 0));
        assertEquals(-1, HttpHostcalls.pendingReqWait(ctx, 0));
        assertEquals(-1, HttpHostcalls.pendingReqPoll(ctx, 0));
        int out = heap.outParams();
        HttpHostcalls.respGetHeaders(ctx, out, out + 4, 0);
        assertEquals(List.of(0, 0), List.of(heap.i32(out), heap.i32(out + 4)));
        out = heap.outParams();
        HttpHostcalls.respGetHeader(ctx, out, out + 4, 0, name, 3);
        assertEquals(List.of(0, 0), List.of(heap.i32(out), heap.i32(out + 4)));
        out = heap.outParams();
        HttpHostcalls.respGetBody(ctx, out, out + 4, 0);
        assertEquals(List.of(0, 0), List.of(heap.i32(out), heap.i32(out + 4)));
        assertNull(ctx.outboundIfOpen(), "nothing here opened an outbound session");
    }

    @Test
    void unknownHandlesAreErrorsToo() {
        get("/fast");
        int name = heap.put("x-a");
        int values = heap.slices("b");
        assertEquals(1, HttpHostcalls.reqSetHeader(ctx, 7, name, 3, values, 1));
        assertEquals(-1, HttpHostcalls.reqSend(ctx, -1));
        assertEquals(-1, HttpHostcalls.reqSend(ctx, 7));
        assertEquals(-1, HttpHostcalls.pendingReqWait(ctx, 3));
        assertEquals(-1, HttpHostcalls.pendingReqPoll(ctx, 3));
        assertEquals(-1, HttpHostcalls.respGetResponseCode(ctx, 3));
    }

    @Test
    void createSendAndReadTheResponse() {
        int req = create("POST", upstream.base() + "/echo");
        assertTrue(req >= 1);
        assertEquals(
                0,
                HttpHostcalls.reqSetHeader(
                        ctx, req, heap.put("x-fixture"), 9, heap.slices("v-one", "v-two"), 2));
        assertEquals(0, HttpHostcalls.reqSetBody(ctx, req, heap.put("ping body"), 9));
        int resp = HttpHostcalls.reqSend(ctx, req);
        assertTrue(resp >= 1);
        assertEquals(200, HttpHostcalls.respGetResponseCode(ctx, resp));
        String echoed = body(resp);
        assertTrue(echoed.contains("x-fixture: v-one") && echoed.contains("v-two"), echoed);
        assertTrue(echoed.endsWith("ping body"), echoed);

        int out = heap.outParams();
        HttpHostcalls.respGetHeaders(ctx, out, out + 4, resp);
        List<String> names = heap.slicesOut(out);
        assertTrue(names.contains("content-type"), names.toString());
        int ct = heap.put("Content-Type");
        out = heap.outParams();
        HttpHostcalls.respGetHeader(ctx, out, out + 4, resp, ct, 12);
        assertEquals(List.of("text/plain"), heap.slicesOut(out));
        int absent = heap.put("x-absent");
        out = heap.outParams();
        HttpHostcalls.respGetHeader(ctx, out, out + 4, resp, absent, 8);
        assertEquals(List.of(0, 0), List.of(heap.i32(out), heap.i32(out + 4)));
    }

    @Test
    void setHeaderRejectsBadNamesAndValues() {
        int req = get("/fast");
        assertEquals(
                1,
                HttpHostcalls.reqSetHeader(ctx, req, heap.put("bad name"), 8, heap.slices("v"), 1));
        assertEquals(1, HttpHostcalls.reqSetHeader(ctx, req, heap.put(""), 0, heap.slices("v"), 1));
        assertEquals(
                1,
                HttpHostcalls.reqSetHeader(
                        ctx, req, heap.put("x-a"), 3, heap.slices("a\r\nb: c"), 1));
        assertEquals(0, HttpHostcalls.reqSetHeader(ctx, req, heap.put("x-a"), 3, heap.slices(), 0));
    }

    @Test
    void sendConsumesTheRequest() {
        int req = get("/fast");
        assertTrue(HttpHostcalls.reqSend(ctx, req) >= 1);
        assertEquals(-1, HttpHostcalls.reqSend(ctx, req));
        assertEquals(1, HttpHostcalls.reqSetBody(ctx, req, heap.put("x"), 1));
    }

    @Test
    void createRefusesBadMethodsUrlsAndDestinations() {
        assertEquals(-1, create("BAD METHOD", upstream.base() + "/fast"));
        assertEquals(-1, create("GET", "::not a url::"));
        assertEquals(-1, create("GET", "http://127.0.0.1:1/"));
        assertEquals(-1, create("GET", "http://169.254.169.254/latest/meta-data/"));
    }

    @Test
    void badPointersTrap() {
        HostcallTrap t =
                assertThrows(
                        HostcallTrap.class,
                        () -> HttpHostcalls.reqCreate(ctx, heap.put("GET"), 3, 4 * 65536 - 2, 10));
        assertTrue(t.getMessage().contains("url"), t.getMessage());
        assertThrows(HostcallTrap.class, () -> HttpHostcalls.pendingReqSelect(ctx, 0, 1, -4));
    }

    @Test
    void requestGettersReadACreatedRequest() {
        int req = create("PUT", upstream.base() + "/echo?x=1");
        HttpHostcalls.reqSetHeader(ctx, req, heap.put("x-a"), 3, heap.slices("one", "two"), 2);
        HttpHostcalls.reqSetBody(ctx, req, heap.put("data"), 4);
        int out = heap.outParams();
        RequestHostcalls.reqGetMethod(ctx, out, out + 4, req);
        assertEquals("PUT", new String(heap.bytesOut(out), UTF_8));
        out = heap.outParams();
        RequestHostcalls.reqGetPath(ctx, out, out + 4, req);
        assertEquals("/echo?x=1", new String(heap.bytesOut(out), UTF_8));
        out = heap.outParams();
        RequestHostcalls.reqGetHeader(ctx, out, out + 4, req, heap.put("X-A"), 3);
        assertEquals(List.of("one", "two"), heap.slicesOut(out));
        out = heap.outParams();
        RequestHostcalls.reqGetBody(ctx, out, out + 4, req);
        assertEquals("data", new String(heap.bytesOut(out), UTF_8));

        HttpHostcalls.reqSend(ctx, req);
        out = heap.outParams();
        RequestHostcalls.reqGetMethod(ctx, out, out + 4, req);
        assertEquals(List.of(0, 0), List.of(heap.i32(out), heap.i32(out + 4)), "sent: gone");
    }

    /**
     * A standalone guest memory for hostcall tests with no guest: a bump allocator standing in for
     * the guest's malloc, and helpers to place arguments and read results.
     */
    static final class Heap implements GuestAllocator {
        /** Garbage the tests pre-fill out-params with, to see that the host wrote them. */
        static final int GARBAGE = 0x7777_7770;

        final Memory memory = new ByteArrayMemory(new MemoryLimits(4, 4));
        private int next = 1024;
        private int mallocs;

        @Override
        public int malloc(int size) {
            if (size <= 0) {
                throw new AssertionError("malloc(" + size + ")");
            }
            mallocs++;
            int p = next;
            next += (size + 7) & ~7;
            return p;
        }

        int mallocs() {
            return mallocs;
        }

        /** Copies {@code s} (UTF-8) into fresh memory; returns its pointer. */
        int put(String s) {
            return put(s.getBytes(UTF_8));
        }

        int put(byte[] b) {
            int p = malloc(Math.max(1, b.length));
            memory.write(p, b);
            return p;
        }

        /** An array of GuestSlices pointing at copies of {@code values}. */
        int slices(String... values) {
            int array = malloc(Math.max(1, values.length * 8));
            for (int i = 0; i < values.length; i++) {
                byte[] b = values[i].getBytes(UTF_8);
                memory.writeI32(array + i * 8, put(b));
                memory.writeI32(array + i * 8 + 4, b.length);
            }
            return array;
        }

        /** Two adjacent i32 out-params, pre-filled with garbage; returns the first's address. */
        int outParams() {
            int p = malloc(8);
            memory.writeI32(p, GARBAGE);
            memory.writeI32(p + 4, GARBAGE);
            return p;
        }

        int i32(int ptr) {
            return memory.readInt(ptr);
        }

        byte[] bytes(int ptr, int len) {
            return memory.readBytes(ptr, len);
        }

        /** The bytes behind out-params {@code (ptr, len)} at {@code out}. */
        byte[] bytesOut(int out) {
            return bytes(i32(out), i32(out + 4));
        }

        /** The GuestSlice array behind out-params at {@code out}, as strings. */
        List<String> slicesOut(int out) {
            int array = i32(out);
            int n = i32(out + 4);
            List<String> values = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                values.add(new String(bytes(i32(array + i * 8), i32(array + i * 8 + 4)), UTF_8));
            }
            return values;
        }

        /** The GuestSlice array behind out-params at {@code out}, as raw items. */
        List<byte[]> rawSlicesOut(int out) {
            int array = i32(out);
            int n = i32(out + 4);
            List<byte[]> values = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                values.add(bytes(i32(array + i * 8), i32(array + i * 8 + 4)));
            }
            return values;
        }
    }
}
