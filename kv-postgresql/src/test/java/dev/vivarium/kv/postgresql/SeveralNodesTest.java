package dev.vivarium.kv.postgresql;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.IsolationOptions;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.MemoryExchange;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three engines ("nodes") with {@code kv.backend=postgresql} on one real PostgreSQL, running real
 * guests: the compiled {@code guests/dist/kv_counter.wasm} and the {@code kv_tally.wat} fixture
 * (one atomic {@code hostcall_kvstore_append} per request). The database gets its own server here,
 * since one test crashes and restarts it.
 */
@Timeout(180)
class SeveralNodesTest {
    static final int NODES = 3;
    static final int WRITERS = 16;

    static TestPostgres db;
    final List<Vivarium> nodes = new ArrayList<>();

    @BeforeAll
    static void startDatabase() {
        db = TestPostgres.start("nodes");
    }

    @AfterAll
    static void stopDatabase() {
        db.close();
    }

    @AfterEach
    void stopNodes() {
        nodes.forEach(Vivarium::close);
    }

    /** Three nodes on one new schema, each with its own engine, pool and KV expiry. */
    List<Vivarium> startNodes(String timeout) {
        String url = db.freshSchema();
        for (int n = 0; n < NODES; n++) {
            KvOptions kv =
                    KvOptions.builder(Path.of("unused"))
                            .backend(PostgresBackend.NAME)
                            .backendSetting(PgSettings.URL, url)
                            .backendSetting(PgSettings.USER, "postgres")
                            .backendSetting(PgSettings.POOL_SIZE, "8")
                            .backendSetting(PgSettings.TIMEOUT, timeout)
                            .build();
            nodes.add(
                    Vivarium.builder(
                                    VivariumOptions.builder()
                                            .guestDirectory(TestGuests.root())
                                            .poolSize(WRITERS)
                                            // every writer runs at once: the test is about the
                                            // database, not the engine's admission queue
                                            .isolation(
                                                    IsolationOptions.builder()
                                                            .maxConcurrent(WRITERS)
                                                            .build())
                                            .route("/tally -> wat/fixtures/kv_tally.wat")
                                            .route("/count -> dist/kv_counter.wasm")
                                            .kv(kv)
                                            .build())
                            .start());
        }
        return nodes;
    }

    static Outcome get(Vivarium v, String path) {
        return v.handle(
                v.route("localhost", path),
                new GuestRequest("GET", path, "localhost", new Headers(), null, "127.0.0.1"));
    }

    static String body(Outcome o) {
        assertEquals(Outcome.Kind.OK, o.kind(), () -> "outcome " + o);
        return new String(o.body(), UTF_8);
    }

    /** The tally as a node reads it: one byte per append that was applied. */
    static int tally(Vivarium v) {
        byte[] hits = v.kvStores().get("kv_tally", "kv_tally:hits");
        return hits == null ? 0 : hits.length;
    }

    @Test
    void sixteenWritersOnEachOfThreeNodesEndWithTheExactTotal() throws Exception {
        List<Vivarium> v = startNodes("2s");
        int perWriter = 20;
        AtomicInteger firsts = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(NODES * WRITERS);
        try {
            CyclicBarrier start = new CyclicBarrier(NODES * WRITERS);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < NODES * WRITERS; t++) {
                Vivarium node = v.get(t % NODES);
                done.add(
                        pool.submit(
                                () -> {
                                    start.await(30, TimeUnit.SECONDS);
                                    for (int i = 0; i < perWriter; i++) {
                                        if (body(get(node, "/tally")).equals("first\n")) {
                                            firsts.incrementAndGet();
                                        }
                                    }
                                    return null;
                                }));
            }
            for (Future<?> f : done) {
                f.get(150, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int total = NODES * WRITERS * perWriter;
        for (Vivarium node : v) {
            assertEquals(total, tally(node), "every node reads every append");
            assertEquals(total + 13, node.kvStores().stats("kv_tally").bytes());
        }
        assertEquals(1, firsts.get(), "exactly one append of all nodes found the key absent");
    }

    @Test
    void aValueWrittenThroughNodeOneIsReadThroughNodeThree() {
        assumeTrue(
                Files.exists(TestGuests.dist().resolve("kv_counter.wasm")),
                "guests/dist/kv_counter.wasm is not built (guests/build.sh)");
        List<Vivarium> v = startNodes("2s");
        assertEquals("1\n", body(get(v.get(0), "/count")));
        assertEquals("2\n", body(get(v.get(0), "/count")));
        assertArrayEquals(
                "2".getBytes(UTF_8), v.get(2).kvStores().get("kv_counter", "kv_counter:count"));
        assertEquals("3\n", body(get(v.get(2), "/count")), "node 3 counts on from node 1");
        assertEquals("4\n", body(get(v.get(1), "/count")));
        assertTrue(v.get(1).kvStores().deployments().contains("kv_counter"));
    }

    /**
     * Writers on every node run while the database crashes (immediate shutdown) and comes back.
     * While it is down each request is answered 503 (never 504: no call waits past {@code
     * kv.jdbc.timeout}, well inside the 10s deadline) and health says so; once it is back the same
     * nodes serve again with no restart, and every append answered 200 is in the tally.
     */
    @Test
    void aDatabaseCrashFailsRequestsWith503ThenTheNodesRecoverAndNoAcknowledgedWriteIsLost()
            throws Exception {
        List<Vivarium> v = startNodes("1s");
        AtomicInteger acked = new AtomicInteger();
        AtomicInteger unavailable = new AtomicInteger();
        Map<String, Integer> other = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        int writers = NODES * 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < writers; t++) {
            Vivarium node = v.get(t % NODES);
            done.add(
                    pool.submit(
                            () -> {
                                while (!stop.get()) {
                                    Outcome o = get(node, "/tally");
                                    if (o.kind() == Outcome.Kind.OK) {
                                        acked.incrementAndGet();
                                    } else if (o.status() == 503) {
                                        unavailable.incrementAndGet();
                                        assertEquals(
                                                "the deployment's KV store is unavailable (the"
                                                        + " server log has the details)",
                                                o.message());
                                        Thread.sleep(20);
                                    } else {
                                        other.merge(o.kind() + " " + o.message(), 1, Integer::sum);
                                    }
                                }
                                return null;
                            }));
        }
        try {
            awaitCount(acked, 100, "writes before the crash");
            db.crash();
            awaitCount(unavailable, 2 * writers, "503s while the database is down");
            for (Vivarium node : v) {
                assertFalse(node.kvStores().health().reachable(), "health reports it down");
            }
            int before = acked.get();
            db.restart();
            awaitCount(acked, before + 100, "writes after the restart");
        } finally {
            stop.set(true);
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdownNow();
        }
        assertEquals(Map.of(), other, "nothing but 200s and 503s");
        for (Vivarium node : v) {
            assertTrue(node.kvStores().health().reachable(), node.kvStores().health().detail());
            int tally = tally(node);
            assertTrue(
                    tally >= acked.get(),
                    "every acknowledged append survived: " + tally + " < " + acked);
            // a 503 whose commit reached the server before the crash may have been applied
            assertTrue(tally <= acked.get() + unavailable.get(), tally + " appends in the tally");
        }
    }

    /**
     * A stopped database (a clean shutdown: the server is gone, connections refused): a KV request
     * served the way the adapters serve it ({@link Vivarium#serve}) is answered 503 with {@code
     * Retry-After}, within {@code kv.jdbc.timeout}; once the database is started again, the same
     * request is answered 200 with no restart of the node.
     */
    @Test
    void aStoppedDatabaseAnswers503WithRetryAfterThenTheNodeServesAgain() throws Exception {
        Vivarium node = startNodes("1s").get(0);
        assertEquals(200, serve(node, "/tally").outcome().status());
        db.close();
        try {
            long start = System.nanoTime();
            MemoryExchange x = serve(node, "/tally");
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Outcome o = x.outcome();
            assertEquals(503, o.status(), () -> "outcome " + o);
            assertEquals(
                    "the deployment's KV store is unavailable (the server log has the details)",
                    o.message());
            assertEquals("5", x.responseHeaders().first("retry-after"), "Retry-After on the 503");
            assertTrue(
                    tookMs < 5_000, "answered within the KV timeout, not the deadline: " + tookMs);
        } finally {
            db.restart();
        }
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        MemoryExchange x;
        while ((x = serve(node, "/tally")).outcome().status() != 200) {
            assertTrue(System.nanoTime() < giveUp, "no 200 after the restart: " + x.outcome());
            Thread.sleep(50);
        }
        assertEquals(null, x.responseHeaders().first("retry-after"));
    }

    /** A request served through the adapters' path (headers of a failure included). */
    static MemoryExchange serve(Vivarium v, String path) throws java.io.IOException {
        MemoryExchange x = new MemoryExchange("GET", path, "localhost", null, null, "127.0.0.1");
        assertTrue(v.serve(x), "routed: " + path);
        return x;
    }

    /**
     * The database stops answering without closing anything (every server process stopped): each
     * request still ends with a 503 before its deadline (a 504 would mean a call outwaited it),
     * bounded by the pool's wait and the driver's socket timeout; once the server goes on, the
     * nodes serve again with every acknowledged append kept.
     */
    @Test
    void aDatabaseThatStopsAnsweringFailsRequestsWith503BeforeTheirDeadline() throws Exception {
        List<Vivarium> v = startNodes("1s");
        for (Vivarium node : v) {
            assertEquals(200, get(node, "/tally").status());
        }
        List<Outcome> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(NODES * 2);
        db.freeze();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < NODES * 2; t++) {
                Vivarium node = v.get(t % NODES);
                done.add(
                        pool.submit(
                                () -> {
                                    for (int i = 0; i < 2; i++) {
                                        outcomes.add(get(node, "/tally"));
                                    }
                                    return null;
                                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertFalse(v.get(0).kvStores().health().reachable());
        } finally {
            db.thaw();
            pool.shutdownNow();
        }
        for (Outcome o : outcomes) {
            assertEquals(503, o.status(), () -> "outcome " + o);
        }
        for (Vivarium node : v) {
            awaitOk(node);
        }
        // 2 x NODES answered 200; a 503'd append sent before the stall may still have run once
        // the server went on (its client had given up): applied, though not acknowledged
        int tally = tally(v.get(0));
        assertTrue(tally >= 2 * NODES && tally <= 2 * NODES + outcomes.size(), tally + " appends");
    }

    /** Sends requests until one is answered 200 (the pool replaces its broken connections). */
    static void awaitOk(Vivarium node) throws InterruptedException {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (get(node, "/tally").status() != 200) {
            if (System.nanoTime() > giveUp) {
                throw new AssertionError("no 200 within 60s of the database answering again");
            }
            Thread.sleep(50);
        }
    }

    /** Waits until {@code count} reaches {@code n}: progress, not timing, is what is checked. */
    static void awaitCount(AtomicInteger count, int n, String what) throws InterruptedException {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count.get() < n) {
            if (System.nanoTime() > giveUp) {
                throw new AssertionError("no " + n + " " + what + " in 60s: " + count.get());
            }
            Thread.sleep(10);
        }
    }
}
