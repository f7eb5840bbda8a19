package dev.vivarium.core.abi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.outbound.OutboundHttp;
import dev.vivarium.core.outbound.OutboundOptions;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.outbound.TestUpstream;
import dev.vivarium.core.routing.RouteSpec;
import dev.vivarium.core.testing.TestMemory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the outbound HTTP hostcall tests share: a real upstream on 127.0.0.1 and a started client
 * for the class, and per test a fresh standalone memory with a context allowed to reach the
 * upstream.
 */
abstract class HttpHostcallsTestBase {
    static TestUpstream upstream;
    static OutboundHttp http;

    TestMemory heap;
    CallContext ctx;

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
        heap = new TestMemory(4);
        ctx = context(heap, http, upstream.base(), inSeconds(30));
    }

    static long inSeconds(long seconds) {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    }

    /**
     * A context on {@code mem} whose outbound session, opened with {@code client}, may reach {@code
     * allowed}.
     */
    static CallContext context(
            TestMemory mem, OutboundHttp client, String allowed, long deadlineNanos) {
        OutboundPolicy policy = OutboundPolicy.parse("/t -> t.wasm", List.of(allowed), "test");
        return mem.builder()
                .outbound(() -> client.openSession("test-guest", policy, deadlineNanos))
                .deadlineNanos(deadlineNanos)
                .build();
    }

    /** {@code hostcall_req_create} with {@code method} and {@code url} placed in memory. */
    int create(String method, String url) {
        int mp = heap.put(method);
        int up = heap.put(url);
        return HttpHostcalls.reqCreate(
                ctx, mp, method.getBytes(UTF_8).length, up, url.getBytes(UTF_8).length);
    }

    /** A created {@code GET} of the upstream's {@code path}. */
    int get(String path) {
        int req = create("GET", upstream.base() + path);
        assertTrue(req >= 1, "req_create " + path + " = " + req);
        return req;
    }

    /** The body of response {@code resp}, read through {@code hostcall_resp_get_body}. */
    String body(int resp) {
        int out = heap.outParams();
        HttpHostcalls.respGetBody(ctx, out, out + 4, resp);
        return heap.stringOut(out);
    }
}
