package dev.vivarium.bench;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.abi.KvHostcalls;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * KV get and insert operations per second, single-threaded, at three depths in the same run: the
 * {@link KvStore} directly (the baseline), the KV hostcalls on a standalone memory (ABI decoding
 * plus the store), and a WAT guest doing {@value #GETS} gets or {@value #INSERTS} inserts per
 * request through the engine (adds the wasm-to-host transitions and the request around them). Every
 * insert is durable (one commit with fsync each: a single writer has nobody to share a commit
 * with).
 *
 * <pre>
 * mvn -B -pl bench -am package -DskipTests
 * java -jar bench/target/benchmarks.jar KvBenchmark -f 1 -wi 2 -i 3 -r 2s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class KvBenchmark {
    static final int GETS = 100;
    static final int INSERTS = 10;
    static final int KEYS = 1024;
    static final int VALUE_SIZE = 64;

    // hostcall layout in the standalone memory: keys at 0.., out-params, value, then the heap
    static final int KEY_SLOT = 32;
    static final int PTR_P = KEYS * KEY_SLOT;
    static final int LEN_P = PTR_P + 4;
    static final int VALUE = PTR_P + 8;
    static final int HEAP = VALUE + VALUE_SIZE;

    Path dir;
    Vivarium engine;
    Route getRoute;
    Route insertRoute;
    KvStore kv;
    String[] keys = new String[KEYS];
    int[] keyLengths = new int[KEYS];
    byte[] value = new byte[VALUE_SIZE];
    CallContext ctx;
    int heap = HEAP;
    int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("vivarium-kv-bench");
        Files.writeString(dir.resolve("kv_bench_get.wat"), guest("get"));
        Files.writeString(dir.resolve("kv_bench_insert.wat"), guest("insert"));
        engine =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(dir)
                                        .kv(KvOptions.defaults(dir.resolve("kv")))
                                        .poolSize(1)
                                        .route("/get -> kv_bench_get.wat; id=bench")
                                        .route("/insert -> kv_bench_insert.wat; id=bench")
                                        .build())
                        .start();
        getRoute = engine.route("localhost", "/get");
        insertRoute = engine.route("localhost", "/insert");
        kv = engine.kvStores().store("bench");

        Memory memory = new ByteArrayMemory(new MemoryLimits(16));
        for (int i = 0; i < KEYS; i++) {
            keys[i] = "bench-key-" + i;
            byte[] k = keys[i].getBytes(StandardCharsets.UTF_8);
            keyLengths[i] = k.length;
            memory.write(i * KEY_SLOT, k);
            kv.insert(keys[i], value);
        }
        memory.write(VALUE, value);
        kv.insert("bench:get", value);
        ctx =
                CallContext.builder(
                                "bench",
                                new GuestRequest("GET", "/", "localhost", new Headers(), null, ""))
                        .kv(kv)
                        .memory(memory, this::bump)
                        .build();
    }

    /** A bump allocator that starts over when the heap is full, like a guest freeing values. */
    private int bump(int size) {
        if (heap + size > 16 * Memory.PAGE_SIZE) {
            heap = HEAP;
        }
        int p = heap;
        heap += (size + 7) & ~7;
        return p;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        engine.close();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private int nextKey() {
        next = (next + 1) & (KEYS - 1);
        return next;
    }

    @Benchmark
    public byte[] storeGet() {
        return kv.get(keys[nextKey()]);
    }

    @Benchmark
    public boolean storeInsert() {
        return kv.insert(keys[nextKey()], value);
    }

    @Benchmark
    public int hostcallGet() {
        int k = nextKey();
        return KvHostcalls.kvstoreGet(ctx, PTR_P, LEN_P, k * KEY_SLOT, keyLengths[k]);
    }

    @Benchmark
    public int hostcallInsert() {
        int k = nextKey();
        return KvHostcalls.kvstoreInsert(ctx, k * KEY_SLOT, keyLengths[k], VALUE, VALUE_SIZE);
    }

    @Benchmark
    @OperationsPerInvocation(GETS)
    public Outcome guestGet() {
        return check(engine.handle(getRoute, request("/get")));
    }

    @Benchmark
    @OperationsPerInvocation(INSERTS)
    public Outcome guestInsert() {
        return check(engine.handle(insertRoute, request("/insert")));
    }

    private static GuestRequest request(String path) {
        return new GuestRequest("GET", path, "localhost", new Headers(), null, "127.0.0.1");
    }

    private static Outcome check(Outcome o) {
        if (!o.isOk()) {
            throw new IllegalStateException("guest failed: " + o);
        }
        return o;
    }

    /**
     * A guest whose {@code run} does {@value #GETS} gets of key {@code bench:get} (values go to a
     * bump heap reset per run) or {@value #INSERTS} inserts of a 64-byte value under it.
     */
    static String guest(String op) {
        boolean get = op.equals("get");
        String call =
                get
                        ? "(drop (call $get (i32.const 64) (i32.const 68) (i32.const 16)"
                                + " (i32.const 9)))"
                        : "(drop (call $insert (i32.const 16) (i32.const 9) (i32.const 128)"
                                + " (i32.const 64)))";
        return """
                (module
                  (import "env" "hostcall_init_mm" (func $init_mm (param i32 i32)))
                  (import "env" "hostcall_kvstore_get" (func $get (param i32 i32 i32 i32) (result i32)))
                  (import "env" "hostcall_kvstore_insert" (func $insert (param i32 i32 i32 i32) (result i32)))
                  (memory 1)
                  (table 2 funcref)
                  (elem (i32.const 0) $malloc $free)
                  (global $heap (mut i32) (i32.const 4096))
                  (data (i32.const 16) "bench:get")
                  (func $malloc (param $size i32) (result i32)
                    (local $p i32)
                    (local.set $p (global.get $heap))
                    (global.set $heap (i32.add (global.get $heap)
                      (i32.and (i32.add (local.get $size) (i32.const 7)) (i32.const -8))))
                    (local.get $p))
                  (func $free (param i32))
                  (func (export "run")
                    (local $i i32)
                    (global.set $heap (i32.const 4096))
                    (call $init_mm (i32.const 0) (i32.const 1))
                    (loop $again
                      CALL
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br_if $again (i32.lt_u (local.get $i) (i32.const COUNT))))))
                """
                .replace("CALL", call)
                .replace("COUNT", String.valueOf(get ? GETS : INSERTS));
    }
}
