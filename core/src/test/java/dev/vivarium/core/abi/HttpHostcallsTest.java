package dev.vivarium.core.abi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The outbound HTTP hostcalls on a standalone memory, against a real upstream on 127.0.0.1. */
@Timeout(60)
class HttpHostcallsTest extends HttpHostcallsTestBase {
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
        assertEquals(List.of(0, 0), heap.pairOut(out));
        out = heap.outParams();
        HttpHostcalls.respGetHeader(ctx, out, out + 4, 0, name, 3);
        assertEquals(List.of(0, 0), heap.pairOut(out));
        out = heap.outParams();
        HttpHostcalls.respGetBody(ctx, out, out + 4, 0);
        assertEquals(List.of(0, 0), heap.pairOut(out));
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
        assertEquals(List.of(0, 0), heap.pairOut(out));
    }

    @Test
    void headerBytesCrossToAndFromTheUpstreamUnchanged() {
        // UTF-8 "é", then a lone Latin-1 "é" that is not UTF-8 at all
        byte[] octets = {'c', 'a', 'f', (byte) 0xc3, (byte) 0xa9, ' ', (byte) 0xe9};
        int req = get("/octets");
        int name = heap.put("x-octets");
        assertEquals(0, HttpHostcalls.reqSetHeader(ctx, req, name, 8, heap.byteSlices(octets), 1));
        int out = heap.outParams();
        RequestHostcalls.reqGetHeader(ctx, out, out + 4, req, name, 8);
        assertArrayEquals(octets, heap.rawSlicesOut(out).get(0), "the created request's header");

        int resp = HttpHostcalls.reqSend(ctx, req);
        assertTrue(resp >= 1);
        out = heap.outParams();
        HttpHostcalls.respGetBody(ctx, out, out + 4, resp);
        assertArrayEquals(octets, heap.bytesOut(out), "the bytes the upstream received");
        out = heap.outParams();
        HttpHostcalls.respGetHeader(ctx, out, out + 4, resp, name, 8);
        assertArrayEquals(octets, heap.rawSlicesOut(out).get(0), "the bytes the upstream sent");
    }

    @Test
    void aSentRequestsHeadersAreCappedBeforeTheyAreCopied() {
        int req = get("/fast");
        byte[] v = new byte[40_000];
        java.util.Arrays.fill(v, (byte) 'v');
        int value = heap.put(v);
        int one = heap.byteSlices(v);
        assertEquals(0, HttpHostcalls.reqSetHeader(ctx, req, heap.put("x-one"), 5, one, 1));
        var e =
                assertThrows(
                        HostcallTrap.class,
                        () -> HttpHostcalls.reqSetHeader(ctx, req, heap.put("x-two"), 5, one, 1));
        assertEquals(Outcome.Kind.LIMIT, e.kind());
        assertEquals(
                "headers of request "
                        + req
                        + " would have 80010 bytes, more than the header limit (65536 bytes)",
                e.getMessage());
        // 1024 slices (the most values) over the same 40,000 bytes
        int many = heap.i32s(new int[2048]);
        for (int i = 0; i < 1024; i++) {
            heap.memory.writeI32(many + i * 8, value);
            heap.memory.writeI32(many + i * 8 + 4, 40_000);
        }
        e =
                assertThrows(
                        HostcallTrap.class,
                        () ->
                                HttpHostcalls.reqSetHeader(
                                        ctx, req, heap.put("x-many"), 6, many, 1024));
        assertEquals(
                "values of header x-many of 40960000 bytes exceed the header limit (65530 bytes)",
                e.getMessage());
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
        assertEquals("PUT", heap.stringOut(out));
        out = heap.outParams();
        RequestHostcalls.reqGetPath(ctx, out, out + 4, req);
        assertEquals("/echo?x=1", heap.stringOut(out));
        out = heap.outParams();
        RequestHostcalls.reqGetHeader(ctx, out, out + 4, req, heap.put("X-A"), 3);
        assertEquals(List.of("one", "two"), heap.slicesOut(out));
        out = heap.outParams();
        RequestHostcalls.reqGetBody(ctx, out, out + 4, req);
        assertEquals("data", heap.stringOut(out));

        HttpHostcalls.reqSend(ctx, req);
        out = heap.outParams();
        RequestHostcalls.reqGetMethod(ctx, out, out + 4, req);
        assertEquals(List.of(0, 0), heap.pairOut(out), "sent: gone");
    }
}
