package dev.vivarium.bench;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.engine.Route;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Memory-heavy guests against the same work in plain Java, in the same run: {@code loop} reads and
 * writes 64 KiB byte by byte 16 times ({@code bench/guests/mem_loop.wat}), {@code copy} moves 16
 * MiB with {@code memory.copy} ({@code mem_copy.wat}). Run it on JDK 17 and on JDK 21+ to see what
 * Chicory's JDK 17 code path costs (compiled code calls {@code memory.copy} and {@code i32.ge_u}
 * through a deliberately megamorphic call on JDK 17 and older, to dodge a JIT bug).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MemoryBenchmark {
    @Param({"loop", "copy"})
    public String work;

    private Vivarium engine;
    private Route route;
    private final byte[] memory = new byte[2 * 65536];

    @Setup(Level.Trial)
    public void setUp() {
        engine =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(Guests.root().resolve("../bench/guests"))
                                        .poolSize(2)
                                        .route("/m -> mem_" + work + ".wat")
                                        .build())
                        .start();
        route = engine.route("localhost", "/m");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    /** One request to the guest (instance reset included, as in production). */
    @Benchmark
    public Outcome guest() {
        return Guests.get(engine, route, "/m");
    }

    /** The same work in Java on a byte array of the guest's memory size: the baseline. */
    @Benchmark
    public int java() {
        byte[] m = memory;
        if (work.equals("loop")) {
            int acc = 0;
            for (int pass = 0; pass < 16; pass++) {
                for (int i = 0; i < 65536; i++) {
                    acc = acc * 31 + (m[65536 + i] & 0xff);
                    m[65536 + i] = (byte) acc;
                }
            }
            return acc;
        }
        for (int n = 0; n < 256; n++) {
            System.arraycopy(m, 65536, m, 98304, 32768);
            System.arraycopy(m, 98304, m, 65536, 32768);
        }
        return m[70000];
    }
}
