package dev.vivarium.core.engine;

import static dev.vivarium.core.testing.TestEngine.body;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.testing.TestEngine;
import dev.vivarium.core.testing.TestGuests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guests that import the WASI preview1 subset: {@code hello_libc} (C with wasi-libc's printf, exit
 * and string functions, built with the plain flags) and {@code wasi_exit.wat}.
 */
@Timeout(60)
class LibcGuestsTest {
    private static TestEngine t;

    @BeforeAll
    static void start() {
        t =
                TestEngine.start(
                        TestGuests.root(),
                        b -> {},
                        "/c/* -> dist/hello_libc.wasm",
                        "/exit/* -> wat/fixtures/wasi_exit.wat");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    @AfterEach
    void serverKeepsServing() {
        Outcome o = t.get("/c/again");
        assertEquals(200, o.status(), o.toString());
        assertEquals("Hello from libc! path=/c/again len=8 upper=/C/AGAIN", body(o));
        assertEquals(t.idleMemory(), t.memoryUsed(), t.engine.describe());
    }

    @Test
    void aCGuestUsingPrintfAndStringFunctionsRuns() {
        for (int i = 0; i < 3; i++) { // a reset instance prints and answers the same
            Outcome o = t.get("/c/hello?x=1");
            assertEquals(200, o.status(), o.toString());
            assertEquals("text/plain", o.headers().first("content-type"));
            assertEquals("Hello from libc! path=/c/hello?x=1 len=12 upper=/C/HELLO?X=1", body(o));
        }
    }

    @Test
    void exitZeroFromCSendsTheResponseBuiltSoFar() {
        Outcome o = t.get("/c/exit0/now");
        assertEquals(200, o.status(), o.toString());
        assertEquals("exiting with 0", body(o));
    }

    @Test
    void exitNonZeroFromCIsAnsweredLikeAPanic() {
        Outcome o = t.get("/c/exit3");
        assertEquals(Outcome.Kind.PANIC, o.kind());
        assertEquals(500, o.status());
        assertEquals("guest exited with status 3 (proc_exit) in hello_libc.wasm", o.message());
    }

    @Test
    void procExitZeroFromWatKeepsStatusAndBody() {
        Outcome o = t.get("/exit/0");
        assertEquals(201, o.status(), o.toString());
        assertEquals("partial", body(o));
    }

    @Test
    void procExitNonZeroFromWatIs500() {
        Outcome o = t.get("/exit/7");
        assertEquals(500, o.status());
        assertEquals(Outcome.Kind.PANIC, o.kind());
        assertEquals("guest exited with status 7 (proc_exit) in wasi_exit.wat", o.message());
    }
}
