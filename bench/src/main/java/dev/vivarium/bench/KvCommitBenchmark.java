package dev.vivarium.bench;

import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Inserts per second into one store from {@value #THREADS} concurrent writers (or {@code -t N}):
 * {@code kv.durability=sync} with group commit (writers share a commit) and without (one commit and
 * fsync per write, under the store's lock), where every insert has been synced to disk when it
 * returns; and {@code kv.durability=interval} (committed every {@code kv.syncInterval}, 10 ms). At
 * the end of each trial it prints the writes per commit and the commits per second.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar KvCommitBenchmark -f 1 -wi 2 -i 3 -r 2s
 * java -jar bench/target/benchmarks.jar KvCommitBenchmark -f 1 -wi 2 -i 3 -r 2s -t 64 -p groupCommit=true
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Threads(KvCommitBenchmark.THREADS)
public class KvCommitBenchmark {
    static final int THREADS = 8;

    @Param({"true", "false"})
    public boolean groupCommit;

    /** {@code kv.durability}; one commit per write ({@code groupCommit=false}) is sync only. */
    @Param({"sync", "interval"})
    public String durability;

    long startNanos;

    Path dir;
    KvStores stores;
    KvStore kv;
    final byte[] value = new byte[64];
    final AtomicInteger threadIds = new AtomicInteger();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("vivarium-kv-commit-bench");
        if (!groupCommit && !durability.equals("sync")) {
            throw new IllegalArgumentException("one commit per write is measured with sync only");
        }
        stores =
                KvStores.open(
                        KvOptions.builder(dir)
                                .groupCommit(groupCommit)
                                .durability(durability)
                                .build(),
                        Clock.systemUTC(),
                        new SimpleMeterRegistry());
        kv = stores.store("bench");
        startNanos = System.nanoTime();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        var s = stores.stats("bench");
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf(
                "%n[groupCommit=%s durability=%s] %d inserts in %d commits (%.1f writes per commit,"
                        + " %.0f commits/s, %.2f ms per commit if back to back)%n",
                groupCommit,
                durability,
                s.inserts(),
                s.commits(),
                (double) s.inserts() / s.commits(),
                s.commits() / seconds,
                seconds * 1000 / s.commits());
        stores.close();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Each writer overwrites its own 1024 keys. */
    @State(Scope.Thread)
    public static class Writer {
        String[] keys = new String[1024];
        int next;

        @Setup
        public void setUp(KvCommitBenchmark b) {
            int id = b.threadIds.getAndIncrement();
            for (int i = 0; i < keys.length; i++) {
                keys[i] = "t" + id + "-" + i;
            }
        }
    }

    @Benchmark
    public boolean insert(Writer w) {
        w.next = (w.next + 1) & 1023;
        return kv.insert(w.keys[w.next], value);
    }
}
