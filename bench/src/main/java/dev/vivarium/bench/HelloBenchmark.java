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
 * One request through the engine (acquire an instance, run the guest, reset and release it), with
 * the pool ({@code poolSize=4}) against a new instance per request ({@code poolSize=0}), the
 * baseline in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HelloBenchmark {
    /** A file in {@code guests/dist}, or a path under {@code guests/}. */
    @Param({"wat/hello.wat", "hello_c.wasm", "hello.wasm"})
    public String guest;

    @Param({"4", "0"})
    public int poolSize;

    private Vivarium engine;
    private Route route;

    @Setup(Level.Trial)
    public void setUp() {
        java.nio.file.Path file = Guests.resolve(guest);
        engine =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(file.getParent())
                                        .poolSize(poolSize)
                                        .route("/hello -> " + file.getFileName())
                                        .build())
                        .start();
        route = engine.route("localhost", "/hello");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public Outcome request() {
        return Guests.get(engine, route, "/hello");
    }
}
