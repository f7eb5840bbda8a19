package dev.vivarium.core.engine;

import static dev.vivarium.core.testing.TestEngine.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.deploy.UploadException;
import dev.vivarium.core.deploy.UploadOptions;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.TestEngine;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code maxTotalMemory}: the linear memory of all instances together stays within it, whatever the
 * number of concurrent requests, and what could not have memory fails with a message that says so.
 */
@Timeout(60)
class MemoryBudgetTest {
    private static final long PAGE = 64 * 1024;

    /** 32 pages for everything; an instance may have 24. */
    private static TestEngine engine(int poolSize, String... routes) {
        Consumer<VivariumOptions.Builder> tweak =
                b -> b.maxMemoryPages(24).maxTotalMemory(32 * PAGE).poolSize(poolSize);
        return TestEngine.start(TestGuests.watFixtures(), tweak, routes);
    }

    /**
     * What one instance of pool {@code pool} holds with {@code pages} pages: also its tables,
     * globals and per-function data.
     */
    private static long instance(TestEngine t, int pool, int pages) {
        return pages * PAGE + t.engine.pools().get(pool).guest().instanceOverhead();
    }

    private static double used(TestEngine t) {
        return t.engine.meterRegistry().get("vivarium.memory.used").gauge().value();
    }

    private static void awaitUsed(TestEngine t, long bytes) throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (used(t) < bytes && System.nanoTime() < until) {
            Thread.sleep(2);
        }
        assertEquals(bytes, (long) used(t), t.engine.describe());
    }

    /** Sends a request on another thread and waits until its instance is in use. */
    private static CompletableFuture<Outcome> holding(TestEngine t, String path, int pool)
            throws InterruptedException {
        CompletableFuture<Outcome> f = CompletableFuture.supplyAsync(() -> t.get(path));
        InstancePool p = t.engine.pools().get(pool);
        long until = System.nanoTime() + 10_000_000_000L;
        while (p.inUse() == 0 && System.nanoTime() < until) {
            Thread.sleep(2);
        }
        assertEquals(1, p.inUse(), "the first request is running: " + p);
        return f;
    }

    @Test
    void aGrowPastTheBudgetFailsInsideTheGuestAndAFaultAfterItIs503() throws Exception {
        try (TestEngine t =
                engine(0, "/hold -> grow_hold.wat; deadline=1s", "/grow -> grow_20.wat")) {
            CompletableFuture<Outcome> first = holding(t, "/hold", 0);
            // the first holds 21 pages; 21 more do not fit in 32
            awaitUsed(t, instance(t, 0, 21));

            // a guest that checks memory.grow sees -1 and answers normally
            Outcome checked = t.get("/grow");
            assertEquals(200, checked.status(), checked.toString());
            assertEquals("grow=-1", body(checked));

            // a guest that traps for it (as Rust guests abort) gets 503, with the reason
            Outcome second = t.get("/hold");
            assertEquals(Outcome.Kind.OVERLOADED, second.kind(), second.toString());
            assertEquals(503, second.status());
            assertEquals(
                    "guest failed after memory.grow by 20 pages was refused: guests hold"
                            + " 1.4 MiB of maxTotalMemory (2 MiB) in grow_hold.wat",
                    second.message());

            assertEquals(504, first.get().status());
            // everything given back: no instance is kept (poolSize 0)
            assertEquals(0.0, used(t));
            assertEquals("grow=ok", body(t.get("/grow")));
            assertEquals(0.0, used(t));
        }
    }

    @Test
    void aNewInstanceWhoseMemoryDoesNotFitIs503() throws Exception {
        try (TestEngine t = engine(0, "/big -> big_initial_hold.wat; deadline=1s")) {
            CompletableFuture<Outcome> first = holding(t, "/big", 0);
            Outcome second = t.get("/big");
            assertEquals(Outcome.Kind.OVERLOADED, second.kind(), second.toString());
            assertEquals(503, second.status());
            assertEquals(
                    "no memory for a new instance (1.3 MiB): guests hold 1.3 MiB of"
                            + " maxTotalMemory (2 MiB) in big_initial_hold.wat",
                    second.message());
            assertEquals(504, first.get().status());
            assertEquals(0.0, used(t));
        }
    }

    @Test
    void idleInstancesOfOtherGuestsAreDroppedToMakeRoom() {
        try (TestEngine t =
                engine(1, "/big -> big_initial_hold.wat; deadline=200ms", "/grow -> grow_20.wat")) {
            InstancePool big = t.engine.pools().get(0);
            InstancePool grow = t.engine.pools().get(1);
            // warmed: one idle instance each, 20 + 1 pages
            assertEquals(1, big.idle());
            assertEquals(1, grow.idle());
            assertEquals(instance(t, 0, 20) + instance(t, 1, 1), used(t));

            // growing by 20 more needs room that only the idle big instance can give
            assertEquals("grow=ok", body(t.get("/grow")));
            assertEquals(0, big.idle(), big.toString());
            assertEquals(1, big.discarded(), big.toString());
            assertEquals(
                    instance(t, 1, 1),
                    used(t),
                    "the grow instance is reset to its 1 page and kept");

            // the big guest builds a new instance again when asked (interrupted, so not kept)
            assertEquals(504, t.get("/big").status());
            assertEquals(2, big.created(), big.toString());
            assertEquals(instance(t, 1, 1), used(t));
        }
    }

    @Test
    void noIdleInstanceIsDroppedForARequestThatWouldNotFitWithoutAny() throws Exception {
        try (TestEngine t =
                engine(
                        1,
                        "/hold -> grow_hold.wat; deadline=1s",
                        "/hello -> hello_raw.wat",
                        "/grow -> grow_20.wat")) {
            InstancePool hello = t.engine.pools().get(1);
            assertEquals(1, hello.idle(), hello.toString());
            CompletableFuture<Outcome> first = holding(t, "/hold", 0);
            awaitUsed(t, instance(t, 0, 21) + instance(t, 1, 1) + instance(t, 2, 1));
            // 21 held + 1 + 20 more does not fit in 32 even with no idle instance at all
            assertEquals("grow=-1", body(t.get("/grow")));
            assertEquals(1, hello.idle(), "hello stays warm: " + hello);
            assertEquals(0, hello.discarded(), hello.toString());
            assertEquals(504, first.get().status());
        }
    }

    @Test
    void aStartFunctionThatFailsAfterTheBudgetRefusedItsGrowIs503() throws Exception {
        try (TestEngine t =
                engine(0, "/hold -> grow_hold.wat; deadline=1s", "/start -> start_grow.wat")) {
            CompletableFuture<Outcome> first = holding(t, "/hold", 0);
            awaitUsed(t, instance(t, 0, 21));
            Outcome o = t.get("/start");
            assertEquals(Outcome.Kind.OVERLOADED, o.kind(), o.toString());
            assertEquals(
                    "guest failed after memory.grow by 20 pages was refused: guests hold"
                            + " 1.4 MiB of maxTotalMemory (2 MiB) in start_grow.wat",
                    o.message());
            assertEquals(504, first.get().status());
            assertEquals(0, t.memoryUsed());
        }
        // and when the instance's own cap refused it: 500, saying so
        try (TestEngine t =
                TestEngine.start(
                        TestGuests.watFixtures(),
                        b -> b.maxMemoryPages(16),
                        "/start -> start_grow.wat")) {
            Outcome o = t.get("/start");
            assertEquals(Outcome.Kind.TRAP, o.kind(), o.toString());
            assertEquals(
                    "guest trapped in its start function: trapped on unreachable instruction in"
                            + " start_grow.wat, after memory.grow by 20 pages was refused: an"
                            + " instance may have at most 16 pages of 64 KiB",
                    o.message());
        }
    }

    @Test
    void anUploadThatCannotBeInstantiatedLeavesNothingInTheBudget(@TempDir Path dir)
            throws Exception {
        VivariumOptions options =
                VivariumOptions.builder()
                        .guestDirectory(TestGuests.watFixtures())
                        .poolSize(1)
                        .kv(KvOptions.defaults(dir.resolve("kv")))
                        .uploads(UploadOptions.builder(dir.resolve("deployments")).build())
                        .route("/hello -> hello_raw.wat")
                        .build();
        byte[] bad = Files.readAllBytes(TestGuests.watFixtures().resolve("data_oob.wat"));
        try (Vivarium v = Vivarium.builder(options).start()) {
            for (int i = 0; i < 3; i++) {
                assertThrows(
                        UploadException.class,
                        () -> v.uploads().deploy("bad", "/bad", null, null, List.of(), bad));
            }
            assertTrue(v.describe().contains("MemoryBudget[64 KiB of "), v.describe());
            assertTrue(v.describe().contains(", 1 pools]"), "only hello's pool: " + v.describe());
        }
    }

    @Test
    void requestAndResponseBodiesCountWhileTheirRequestRuns() throws Exception {
        try (TestEngine t =
                engine(
                        0,
                        "/hold -> grow_hold.wat; deadline=1s",
                        "/hello -> hello_raw.wat",
                        "/big -> big_body.wat")) {
            // 17 pages and a response body of 1 MiB do not fit in 32 pages
            Outcome big = t.get("/big");
            assertEquals(Outcome.Kind.OVERLOADED, big.kind(), big.toString());
            assertEquals(503, big.status());
            assertEquals(
                    "hostcall_resp_set_body: no memory for the response body (1 MiB): guests"
                            + " hold 1.1 MiB of maxTotalMemory (2 MiB) in big_body.wat",
                    big.message());
            assertEquals(0, t.memoryUsed());

            CompletableFuture<Outcome> first = holding(t, "/hold", 0);
            awaitUsed(t, instance(t, 0, 21));
            // 21 pages held, 1 for hello's new instance and a body of 12 pages do not fit either
            Outcome post = t.send("POST", "/hello", new Headers(), "x".repeat(12 * 65536));
            assertEquals(Outcome.Kind.OVERLOADED, post.kind(), post.toString());
            assertEquals(
                    "no memory for the request body (768 KiB): guests hold 1.4 MiB of"
                            + " maxTotalMemory (2 MiB) in hello_raw.wat",
                    post.message());
            // a smaller one does, and is given back with its request
            Outcome small = t.send("POST", "/hello", new Headers(), "x".repeat(8 * 65536));
            assertEquals(200, small.status(), small.toString());
            assertEquals(instance(t, 0, 21), t.memoryUsed());
            assertEquals(504, first.get().status());
            assertEquals(0, t.memoryUsed());
        }
    }

    @Test
    void roomForARequestBodyIsNeverMadeByDroppingTheInstanceTheRequestIsAboutToUse() {
        try (TestEngine t = engine(1, "/m -> mem20_ok.wat")) {
            InstancePool pool = t.engine.pools().get(0);
            assertEquals(instance(t, 0, 20), t.memoryUsed(), "one warm instance of 20 pages");
            // 20 pages and a body of 14 do not fit in 32
            Outcome o = t.send("POST", "/m", new Headers(), "x".repeat(14 * 65536));
            assertEquals(Outcome.Kind.OVERLOADED, o.kind(), o.toString());
            assertEquals(
                    "no memory for the request body (896 KiB): guests hold 1.3 MiB of"
                            + " maxTotalMemory (2 MiB) in mem20_ok.wat",
                    o.message());
            // the instance never ran: it is kept, not discarded
            assertEquals(1, pool.idle(), pool.toString());
            assertEquals(0, pool.discarded(), pool.toString());
            assertEquals(instance(t, 0, 20), t.memoryUsed());
            assertEquals(200, t.send("POST", "/m", new Headers(), "x".repeat(65536)).status());
        }
    }

    @Test
    void bodiesStayCountedUntilTheAdapterReleasesTheOutcome() throws Exception {
        try (TestEngine t =
                TestEngine.start(
                        TestGuests.watFixtures(),
                        b -> b.maxMemoryPages(24).maxTotalMemory(64 * PAGE).poolSize(1),
                        "/big -> big_body.wat")) {
            long idle = t.idleMemory();
            assertEquals(instance(t, 0, 17), idle);
            GuestRequest request =
                    new GuestRequest(
                            "GET", "/big", "example.com", new Headers(), null, "127.0.0.1");
            Outcome o =
                    t.engine.handleUntilReleased(t.engine.route("example.com", "/big"), request);
            assertEquals(200, o.status(), o.toString());
            assertEquals(1 << 20, o.body().length);
            // the instance is back in its pool; its response body is still being written
            assertEquals(idle + (1 << 20), t.memoryUsed());
            o.release();
            assertEquals(idle, t.memoryUsed());
            o.release();
            assertEquals(idle, t.memoryUsed(), "releasing twice gives back nothing more");
        }
    }

    @Test
    void warmingStopsAtTheBudgetInsteadOfFailing() {
        // 4 idle instances of 20 pages each would need 80 of the 32 pages
        try (TestEngine t = engine(4, "/big -> big_initial_hold.wat; deadline=200ms")) {
            InstancePool big = t.engine.pools().get(0);
            assertEquals(1, big.idle(), big.toString());
            assertEquals(instance(t, 0, 20), used(t));
            assertEquals(504, t.get("/big").status());
        }
    }

    @Test
    void aTrapAfterTheInstanceLimitRefusedAGrowSaysSo() {
        try (TestEngine t =
                TestEngine.start(
                        TestGuests.watFixtures(),
                        b -> b.maxMemoryPages(16),
                        "/hold -> grow_hold.wat; deadline=1s")) {
            Outcome o = t.get("/hold");
            assertEquals(Outcome.Kind.TRAP, o.kind(), o.toString());
            assertEquals(500, o.status());
            assertTrue(
                    o.message()
                            .endsWith(
                                    " in grow_hold.wat, after memory.grow by 20 pages was refused:"
                                            + " an instance may have at most 16 pages of 64 KiB"),
                    o.message());
        }
    }

    @Test
    void aRustGuestThatGetsNoMoreMemorySaysWhy() {
        // echo copies the body into its memory: 1 MiB does not fit in 8 pages (512 KiB)
        try (TestEngine t =
                TestEngine.start(
                        TestGuests.dist(), b -> b.maxMemoryPages(8), "/echo -> echo.wasm")) {
            Outcome o = t.send("POST", "/echo", new Headers(), "x".repeat(1 << 20));
            assertEquals(500, o.status(), o.toString());
            assertTrue(
                    o.message().contains("in echo.wasm, after memory.grow by ")
                            && o.message()
                                    .endsWith(
                                            " pages was refused: an instance may have at most 8"
                                                    + " pages of 64 KiB"),
                    o.message());
            assertEquals(200, t.send("POST", "/echo", new Headers(), "small").status());
        }
    }

    @Test
    void resetGivesGrownMemoryBackAndCloseGivesBackEverything() {
        try (TestEngine t = engine(2, "/grow -> grow_20.wat")) {
            long one = instance(t, 0, 1);
            assertEquals(2 * one, used(t), "two warmed instances of 1 page");
            for (int i = 0; i < 5; i++) {
                assertEquals("grow=ok", body(t.get("/grow")));
                assertEquals(2 * one, used(t), "the grown pages went back with the reset");
            }
            MemoryBudget budget = new MemoryBudget(32 * PAGE);
            InstancePool pool = new InstancePool(t.engine.pools().get(0).guest(), 2, budget);
            pool.warm(2);
            assertEquals(2 * one, budget.used());
            PooledInstance a = pool.acquire();
            PooledInstance b = pool.acquire();
            PooledInstance c = pool.acquire();
            assertEquals(3 * one, budget.used());
            pool.release(a, false);
            assertEquals(2 * one, budget.used(), "a discarded instance gives its memory back");
            pool.release(b, true);
            pool.close();
            assertEquals(one, budget.used(), "close drops the idle one; c is still in use");
            pool.release(c, true);
            assertEquals(0, budget.used(), "released after close: dropped");
        }
    }

    @Test
    void theBudgetMustHoldOneInstanceAtItsCap() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                VivariumOptions.builder()
                                        .maxMemoryPages(256)
                                        .maxTotalMemory(8 << 20)
                                        .build());
        assertEquals(
                "Vivarium setting 'maxTotalMemory' (8388608 bytes) is less than one instance may"
                        + " have (maxMemoryPages 256 = 16777216 bytes): raise maxTotalMemory or"
                        + " lower maxMemoryPages",
                e.getMessage());
        VivariumOptions parsed =
                VivariumOptions.parse(
                        Map.of("routes", "/x -> x.wasm", "maxTotalMemory", "1GB"),
                        Path.of("."),
                        Path.of("kv"));
        assertEquals(1L << 30, parsed.maxTotalMemory());
        long dflt = VivariumOptions.builder().build().maxTotalMemory();
        assertEquals(Math.max(Runtime.getRuntime().maxMemory() / 2, 256 * PAGE), dflt);
        ConfigurationException zero =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                VivariumOptions.parse(
                                        Map.of("routes", "/x -> x.wasm", "maxTotalMemory", "0"),
                                        Path.of("."),
                                        Path.of("kv")));
        assertEquals(
                "invalid value '0' for Vivarium setting 'maxTotalMemory': expected a size of 64KB"
                        + " or more",
                zero.getMessage());
    }
}
