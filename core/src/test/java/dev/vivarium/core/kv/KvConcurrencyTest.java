package dev.vivarium.core.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class KvConcurrencyTest {
    static final int THREADS = 16;

    @TempDir Path dir;
    final ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    KvStores stores;

    @AfterEach
    void close() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        if (stores != null) {
            stores.close();
        }
    }

    KvStore store() {
        stores =
                KvStores.open(
                        KvOptions.defaults(dir), new MutableClock(), new SimpleMeterRegistry());
        return stores.store("app");
    }

    /** Runs {@code task} on every thread at once (after a barrier) and waits for all. */
    void race(int perThread, ThrowingTask task) throws Exception {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            done.add(
                    pool.submit(
                            () -> {
                                start.await(30, TimeUnit.SECONDS);
                                for (int i = 0; i < perThread; i++) {
                                    task.run(thread, i);
                                }
                                return null;
                            }));
        }
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    interface ThrowingTask {
        void run(int thread, int i) throws Exception;
    }

    @Test
    void concurrentAppendsAreAtomicAndNoneIsLost() throws Exception {
        KvStore kv = store();
        AtomicInteger firsts = new AtomicInteger();
        race(
                25,
                (t, i) -> {
                    if (kv.append("log", new byte[] {(byte) t})) {
                        firsts.incrementAndGet();
                    }
                });
        byte[] log = kv.get("log");
        assertEquals(THREADS * 25, log.length);
        int[] perThread = new int[THREADS];
        for (byte b : log) {
            perThread[b]++;
        }
        for (int t = 0; t < THREADS; t++) {
            assertEquals(25, perThread[t], "appends of thread " + t);
        }
        assertEquals(1, firsts.get(), "exactly one append found the key absent");
    }

    @Test
    void exactlyOneConcurrentUpsertWins() throws Exception {
        KvStore kv = store();
        AtomicInteger winners = new AtomicInteger();
        List<Integer> winner = new java.util.concurrent.CopyOnWriteArrayList<>();
        race(
                1,
                (t, i) -> {
                    if (kv.upsert("slot", new byte[] {(byte) t})) {
                        winners.incrementAndGet();
                        winner.add(t);
                    }
                });
        assertEquals(1, winners.get());
        assertEquals(winner.get(0).byteValue(), kv.get("slot")[0], "the winner's value stays");
    }

    @Test
    void concurrentWritersShareCommits() throws Exception {
        KvStore kv = store();
        race(20, (t, i) -> kv.insert("k" + t + "-" + i, new byte[8]));
        KvStats s = stores.stats("app");
        assertEquals(THREADS * 20, s.keys());
        assertTrue(
                s.commits() < s.inserts(),
                "group commit: " + s.commits() + " commits for " + s.inserts() + " writes");
    }
}
