package dev.vivarium.core.engine;

import static dev.vivarium.core.testing.TestEngine.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.testing.TestEngine;
import dev.vivarium.core.testing.TestGuests;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rust fixture guests ({@code guests/fixtures}) check the hostcalls from inside and panic with a
 * precise message on any mismatch; each test here has the fixture's name and expects 200.
 */
@Timeout(60)
class RustFixturesTest {
    private static TestEngine t;

    @BeforeAll
    static void start() {
        t =
                TestEngine.start(
                        TestGuests.dist(),
                        b -> {},
                        "/fixture_request/* -> fixture_request.wasm",
                        "/fixture_response -> fixture_response.wasm",
                        "/fixture_misc -> fixture_misc.wasm",
                        "/fixture_big_static -> fixture_big_static.wasm",
                        "/fixture_panic/* -> fixture_panic.wasm");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    private static void assertOk(Outcome o) {
        assertEquals(200, o.status(), o.toString());
        assertEquals("ok", body(o));
    }

    @Test
    void fixture_request() {
        Headers h = new Headers().add("x-one", "1").add("x-multi", "a").add("x-multi", "b");
        assertOk(t.send("POST", "/fixture_request/path?x=1&y=two", h, "hello body"));
    }

    @Test
    void fixture_response() {
        Outcome o = t.get("/fixture_response");
        assertEquals(201, o.status(), o.toString());
        assertEquals(List.of("1"), o.headers().values("x-a"));
        assertEquals(List.of("p", "q"), o.headers().values("x-multi"));
        assertEquals("created", body(o));
    }

    @Test
    void fixture_misc() {
        assertOk(t.get("/fixture_misc"));
    }

    /** 1 MiB of static data: the SDK's build settings no longer fix the initial memory. */
    @Test
    void fixture_big_static() {
        assertOk(t.get("/fixture_big_static"));
        // and again on the reset instance: its data segment is written back
        assertOk(t.get("/fixture_big_static"));
    }

    @Test
    void fixture_panic() {
        Outcome o = t.get("/fixture_panic");
        assertEquals(500, o.status());
        assertEquals(Outcome.Kind.PANIC, o.kind());
        assertEquals(true, o.message().contains("fixture panic: expected"), o.message());
    }

    @Test
    void fixture_panic_onAStatusTheHostRefuses() {
        Outcome o = t.get("/fixture_panic/status");
        assertEquals(Outcome.Kind.PANIC, o.kind(), o.toString());
        assertTrue(
                o.message()
                        .startsWith(
                                "panicked at 'http_guest: the host refused the response's status:"
                                        + " only 200..599 can be sent', http_guest/src/scaffolding.rs:"),
                o.message());
    }
}
