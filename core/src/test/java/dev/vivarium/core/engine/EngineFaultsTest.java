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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every fault ends one request with its outcome; the next request is served normally. */
@Timeout(60)
class EngineFaultsTest {
    private static TestEngine t;

    @BeforeAll
    static void start() {
        t =
                TestEngine.start(
                        TestGuests.watFixtures(),
                        b -> b.maxMemoryPages(16),
                        "/hello -> hello_raw.wat",
                        "/panic -> panic.wat",
                        "/div -> trap_div.wat",
                        "/bad -> bad_pointer.wat",
                        "/loop -> loop_forever.wat; deadline=300ms",
                        "/brif -> loop_br_if.wat; deadline=300ms",
                        "/grow -> grow_memory.wat",
                        "/noinit -> no_init_mm.wat",
                        "/empty -> empty_body_no_init_mm.wat",
                        "/noinit-echo -> no_init_mm_echo.wat",
                        "/echo/* -> echo_path.wat",
                        "/reactor -> initialize_reactor.wat",
                        "/start -> start_function.wat",
                        "/start-loop -> start_loop_forever.wat; deadline=300ms",
                        "/start-trap -> start_trap.wat",
                        "/start-divide -> start_divide.wat",
                        "/start-hostcall -> start_hostcall.wat",
                        "/no-memory -> no_memory.wat",
                        "/no-memory-ok -> no_memory_ok.wat");
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    @AfterEach
    void serverKeepsServing() {
        Outcome o = t.get("/hello");
        assertEquals(200, o.status(), o.toString());
        assertEquals("Hello, world!", body(o));
        // whatever failed gave its memory back
        assertEquals(t.idleMemory(), t.memoryUsed(), t.engine.describe());
    }

    @Test
    void returns500WithPanicMessageWhenGuestPanics() {
        Outcome o = t.get("/panic");
        assertEquals(Outcome.Kind.PANIC, o.kind());
        assertEquals(500, o.status());
        assertEquals("boom: this guest panics on purpose", o.message());
    }

    @Test
    void returns500WithShortCauseWhenGuestTraps() {
        Outcome o = t.get("/div");
        assertEquals(Outcome.Kind.TRAP, o.kind());
        assertEquals("guest trapped: integer divide by zero in trap_div.wat", o.message());
    }

    @Test
    void badPointerPassedToAHostcallIsATrapNamingTheHostcall() {
        Outcome o = t.get("/bad");
        assertEquals(500, o.status());
        assertEquals(
                "guest trapped: hostcall_resp_set_body: body at 0xfffff000 (64 bytes) is outside guest"
                        + " memory of 65536 bytes in bad_pointer.wat",
                o.message());
    }

    @Test
    void returns504WhenGuestRunsPastItsDeadline() {
        for (String path : new String[] {"/loop", "/brif"}) {
            long start = System.nanoTime();
            Outcome o = t.get(path);
            assertEquals(504, o.status(), o.toString());
            assertEquals(Outcome.Kind.DEADLINE, o.kind());
            assertTrue(
                    o.message().startsWith("guest exceeded its deadline of 300 ms"), o.message());
            assertTrue(
                    System.nanoTime() - start < 10_000_000_000L, "interrupted, not left running");
            assertTrue(
                    !Thread.currentThread().isInterrupted(), "interrupt cleared before returning");
        }
    }

    @Test
    void aStartFunctionRunsUnderTheRequestsDeadline() {
        Outcome o = t.get("/start-loop");
        assertEquals(Outcome.Kind.DEADLINE, o.kind(), o.toString());
        assertEquals(
                "guest exceeded its deadline of 300 ms in start_loop_forever.wat", o.message());
        assertTrue(!Thread.currentThread().isInterrupted(), "interrupt cleared before returning");
    }

    @Test
    void aTrapInTheStartFunctionIsATrapOutcome() {
        Outcome o = t.get("/start-trap");
        assertEquals(Outcome.Kind.TRAP, o.kind(), o.toString());
        assertEquals(500, o.status());
        assertTrue(
                o.message().startsWith("guest trapped in its start function: ")
                        && o.message().endsWith(" in start_trap.wat"),
                o.message());
    }

    @Test
    void everyFaultInTheStartFunctionIsTheGuestsLikeTheSameFaultInRun() {
        Outcome o = t.get("/start-divide");
        assertEquals(Outcome.Kind.TRAP, o.kind(), o.toString());
        assertEquals(
                "guest trapped in its start function: integer divide by zero in start_divide.wat",
                o.message());
        o = t.get("/start-hostcall");
        assertEquals(Outcome.Kind.TRAP, o.kind(), o.toString());
        assertTrue(
                o.message().startsWith("guest trapped in its start function: hostcall_debug"),
                o.message());
    }

    @Test
    void everyRequestSeesItsStartFunctionRunOnceOnFreshMemory() {
        InstancePool pool = t.engine.route("h", "/start").pool();
        long created = pool.created();
        for (int i = 0; i < 3; i++) {
            Outcome o = t.get("/start");
            assertEquals("1", body(o), o.toString());
        }
        assertEquals(created + 3, pool.created(), "a new instance per request");
        assertEquals(0, pool.idle());
    }

    @Test
    void aGuestWithoutMemoryRunsAndGetsATrapOnlyForAHostcallThatNeedsMemory() {
        Outcome ok = t.get("/no-memory-ok");
        assertEquals(204, ok.status(), ok.toString());
        Outcome o = t.get("/no-memory");
        assertEquals(Outcome.Kind.TRAP, o.kind(), o.toString());
        assertEquals(
                "guest trapped: hostcall_debug: the guest has no linear memory in no_memory.wat",
                o.message());
    }

    @Test
    void memoryGrowthPastTheCapFailsInsideTheGuest() {
        Outcome o = t.get("/grow");
        assertEquals(200, o.status());
        assertEquals("grow=-1", body(o));
    }

    @Test
    void allocationWithoutInitMmInAMemoryThatCannotGrowIsAClearError() {
        Outcome o = t.get("/noinit");
        assertEquals(500, o.status());
        assertEquals(Outcome.Kind.LIMIT, o.kind());
        assertEquals(
                "guest trapped: hostcall_req_get_path: the host needs to allocate 8 bytes in the"
                        + " guest, which never called hostcall_init_mm, but its memory of 1 pages"
                        + " cannot grow by 1 in no_init_mm.wat, after memory.grow by 1 pages was"
                        + " refused: an instance may have at most 1 pages of 64 KiB",
                o.message());
    }

    @Test
    void guestWithoutInitMmReadsHeadersAndBodyFromPagesTheHostAdds() {
        Headers h = new Headers().add("x-echo", "one").add("x-echo", "two");
        for (int i = 0; i < 3; i++) { // the reset instance is back to one page each time
            Outcome o = t.send("POST", "/noinit-echo", h, "a body of some bytes");
            assertEquals(200, o.status(), o.toString());
            assertEquals("a body of some bytes", body(o));
            assertEquals(List.of("one", "two"), o.headers().values("x-echo"));
            assertEquals("y", o.headers().first("x-pages"));
        }
        String big = "x".repeat(200_000); // more than a page: the host adds several
        Outcome o = t.send("POST", "/noinit-echo", new Headers(), big);
        assertEquals(200, o.status(), o.toString());
        assertEquals(big, body(o));
    }

    @Test
    void guestWithoutInitMmWorksWhenNothingNeedsAllocating() {
        assertEquals("empty", body(t.get("/empty")));
    }

    @Test
    void hostAllocatesThroughTheGuestTable() {
        Outcome o = t.send("POST", "/echo/a?b=1", new Headers(), "x");
        assertEquals(200, o.status(), o.toString());
        assertEquals("POST /echo/a?b=1", body(o));
    }

    @Test
    void initializeExportRunsOnceBeforeEveryRun() {
        for (int i = 0; i < 5; i++) {
            assertEquals("init=1", body(t.get("/reactor")));
        }
    }
}
