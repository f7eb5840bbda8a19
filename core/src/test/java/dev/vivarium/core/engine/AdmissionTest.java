package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.IsolationOptions;
import dev.vivarium.core.routing.RouteSpec;
import dev.vivarium.core.testing.TestEngine;
import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.core.testing.TestMemory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18 item 7: a deployment whose guests spin until their deadline holds at most {@code
 * maxConcurrent} running and {@code maxQueued} waiting requests; the rest get 503 with {@code
 * Retry-After} at once, and another deployment's requests run as before.
 */
@Timeout(60)
class AdmissionTest {
    private static TestEngine engine(IsolationOptions isolation, String... routes) {
        return TestEngine.start(TestGuests.watFixtures(), b -> b.isolation(isolation), routes);
    }

    /** Waits (bounded by the class timeout) until {@code n} requests of {@code path} run. */
    private static void awaitRunning(TestEngine e, String path, int n) throws InterruptedException {
        Admission a = e.engine.route("example.com", path).deployment().admission();
        while (a.running() < n) {
            Thread.sleep(5);
        }
    }

    @Test
    void aFullDeploymentAnswers503WithRetryAfterWhileAnotherDeploymentStillRuns() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (TestEngine e =
                engine(
                        IsolationOptions.builder().build(),
                        "/spin -> loop_forever.wat; deadline=3s; maxConcurrent=1; maxQueued=0",
                        "/hello -> hello_raw.wat")) {
            Future<Outcome> running = pool.submit(() -> e.get("/spin"));
            awaitRunning(e, "/spin", 1);

            Outcome refused = e.get("/spin");
            assertEquals(503, refused.status(), refused.toString());
            assertEquals(Outcome.Kind.OVERLOADED, refused.kind());
            assertEquals("1", refused.headers().first("retry-after"));
            assertTrue(refused.message().contains("maxConcurrent"), refused.message());

            Outcome hello = e.get("/hello");
            assertEquals(200, hello.status(), "another deployment is not held up: " + hello);
            assertEquals(504, running.get().status(), "the runaway still ends at its deadline");
            assertEquals(200, e.get("/hello").status());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aQueuedRequestGets503AfterTheQueueTimeoutWhenNothingEnds() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (TestEngine e =
                engine(
                        IsolationOptions.builder().queueTimeout(Duration.ofMillis(100)).build(),
                        "/spin -> loop_forever.wat; deadline=5s; maxConcurrent=1; maxQueued=1")) {
            Future<Outcome> running = pool.submit(() -> e.get("/spin"));
            awaitRunning(e, "/spin", 1);
            Outcome waited = e.get("/spin");
            assertEquals(503, waited.status(), waited.toString());
            assertTrue(waited.message().contains("queueTimeout"), waited.message());
            assertEquals("1", waited.headers().first("retry-after"));
            running.cancel(true);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aQueuedRequestRunsOnceTheRunningOneEnds() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (TestEngine e =
                engine(
                        IsolationOptions.builder().queueTimeout(Duration.ofSeconds(30)).build(),
                        "/spin -> loop_forever.wat; deadline=200ms; maxConcurrent=1; maxQueued=4")) {
            Future<Outcome> first = pool.submit(() -> e.get("/spin"));
            awaitRunning(e, "/spin", 1);
            CompletableFuture<Outcome> second =
                    CompletableFuture.supplyAsync(() -> e.get("/spin"), pool);
            // it ran (to its deadline) instead of being refused
            assertEquals(504, second.get().status(), second.get().toString());
            assertEquals(504, first.get().status());
            Admission a = e.engine.route("example.com", "/spin").deployment().admission();
            assertEquals(0, a.running());
            assertEquals(0, a.waiting());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void routeParametersSetTheLimitsAndSurviveBeingWrittenBack() {
        RouteSpec spec = RouteSpec.parse("/x/* -> x.wasm; maxConcurrent=3; maxQueued=0");
        assertEquals(3, spec.maxConcurrent());
        assertEquals(0, spec.maxQueued());
        assertEquals(spec, RouteSpec.parse(spec.toString()));
        RouteSpec plain = RouteSpec.parse("/y -> y.wasm");
        assertEquals(null, plain.maxConcurrent());
        assertEquals("/y -> y.wasm", plain.toString());
    }

    @Test
    void badLimitsAreRefusedNamingWhatIsValid() {
        ConfigurationException zero =
                assertThrows(
                        ConfigurationException.class,
                        () -> RouteSpec.parse("/x -> x.wasm; maxConcurrent=0"));
        assertTrue(
                zero.getMessage().contains("maxConcurrent '0' must be a whole number from 1"),
                zero.getMessage());
        assertThrows(
                ConfigurationException.class,
                () -> RouteSpec.parse("/x -> x.wasm; maxQueued=lots"));
        ConfigurationException differ =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                engine(
                                        IsolationOptions.defaults(),
                                        "/a -> hello_raw.wat; id=one; maxConcurrent=1",
                                        "/b -> hello_raw.wat; id=one; maxConcurrent=2"));
        assertTrue(differ.getMessage().contains("share one admission limit"), differ.getMessage());
    }

    @Test
    void theDefaultsKeepADeploymentToAQuarterOfA200ThreadServer() {
        IsolationOptions d = IsolationOptions.defaults();
        assertEquals(Math.max(2, Runtime.getRuntime().availableProcessors()), d.maxConcurrent());
        assertTrue(
                d.maxConcurrent() + d.maxQueued()
                        <= 50 + Runtime.getRuntime().availableProcessors());
        try (TestEngine e = engine(d, "/hello -> hello_raw.wat")) {
            Admission a = e.engine.route("example.com", "/hello").deployment().admission();
            assertEquals(
                    List.of(d.maxConcurrent(), d.maxQueued()),
                    List.of(a.maxConcurrent(), a.maxQueued()));
        }
    }

    /**
     * Issue 18 item 6: a guest whose client leaves while it runs is interrupted then (where the
     * adapter can tell), not at its deadline, and its instance is not reused.
     */
    @Test
    void aRunningGuestIsInterruptedWhenItsClientLeaves() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (TestEngine e =
                engine(
                        IsolationOptions.builder().build(),
                        "/spin -> loop_forever.wat; deadline=60s")) {
            var route = e.engine.route("example.com", "/spin");
            java.util.concurrent.atomic.AtomicBoolean leaves =
                    new java.util.concurrent.atomic.AtomicBoolean();
            Future<Outcome> running =
                    pool.submit(
                            () ->
                                    e.engine.handleUntilReleased(
                                            route,
                                            TestMemory.request("GET", "/spin", new Headers(), null),
                                            leaves::get));
            while (route.deployment().running().count() < 1) {
                Thread.sleep(5); // until its guest runs, watched by the watchdog
            }
            leaves.set(true); // the client leaves while its guest spins
            Outcome o = running.get(20, java.util.concurrent.TimeUnit.SECONDS);
            o.release();
            assertEquals(Outcome.Kind.CLIENT_GONE, o.kind(), o.toString());
            assertEquals(499, o.status());
            assertTrue(o.message().contains("while loop_forever.wat ran"), o.message());
            assertEquals(0, route.deployment().running().count());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Issue 18 item 3: a request whose client is gone (as the adapter tells) never runs its guest,
     * neither when it arrives nor once it was admitted after waiting in the queue.
     */
    @Test
    void aRequestWhoseClientIsGoneNeverRunsItsGuest() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (TestEngine e =
                engine(
                        IsolationOptions.builder().queueTimeout(Duration.ofSeconds(30)).build(),
                        "/spin -> loop_forever.wat; deadline=300ms; maxConcurrent=1; maxQueued=4")) {
            var route = e.engine.route("example.com", "/spin");
            Outcome gone =
                    e.engine.handle(route, TestMemory.request("GET", "/spin", new Headers(), null));
            assertEquals(504, gone.status(), "a client that stays gets its guest run");
            Outcome left =
                    e.engine.handleUntilReleased(
                            route,
                            TestMemory.request("GET", "/spin", new Headers(), null),
                            () -> true);
            assertEquals(Outcome.Kind.CLIENT_GONE, left.kind(), left.toString());

            Future<Outcome> first = pool.submit(() -> e.get("/spin"));
            awaitRunning(e, "/spin", 1);
            java.util.concurrent.atomic.AtomicBoolean leaves =
                    new java.util.concurrent.atomic.AtomicBoolean();
            Future<Outcome> queued =
                    pool.submit(
                            () ->
                                    e.engine.handleUntilReleased(
                                            route,
                                            TestMemory.request("GET", "/spin", new Headers(), null),
                                            leaves::get));
            Admission a = route.deployment().admission();
            while (a.waiting() < 1) {
                Thread.sleep(5);
            }
            leaves.set(true); // the client leaves while its request waits
            assertEquals(Outcome.Kind.CLIENT_GONE, queued.get().kind(), queued.get().toString());
            assertEquals(504, first.get().status());
            double deadlines =
                    e.engine
                            .meterRegistry()
                            .get("vivarium.requests")
                            .tag("outcome", "deadline")
                            .counter()
                            .count();
            assertEquals(2, deadlines, "only the two whose clients stayed ran");
        } finally {
            pool.shutdownNow();
        }
    }
}
