package dev.vivarium.bench;

import dev.vivarium.core.engine.CompiledClassCache;
import dev.vivarium.core.engine.GuestLimits;
import dev.vivarium.core.engine.GuestLoader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The thread CPU time of loading one guest (read, screen, parse, compile) never seen before and
 * with its compiled classes on disk, alternately in one JVM after a warm-up: a ratio that holds
 * under load, unlike wall-clock time. Each "new" load is the guest with a custom section of its
 * round number appended, so a SHA-256 the cache has not seen.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.vivarium.bench.LoadCost [guest.wasm] [rounds]}
 * (defaults: guests/dist/hello.wasm, 20)
 */
public final class LoadCost {
    private LoadCost() {}

    public static void main(String[] args) throws Exception {
        Path guest = Path.of(args.length > 0 ? args[0] : "guests/dist/hello.wasm");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path dir = Files.createTempDirectory("vivarium-loadcost");
        CompiledClassCache.install(CompiledClassCache.open(dir, 1L << 30));
        byte[] base = Files.readAllBytes(guest);
        ThreadMXBean t = ManagementFactory.getThreadMXBean();
        int warmup = 10;
        long[] fresh = new long[rounds];
        long[] cached = new long[rounds];
        for (int i = 0; i < warmup + rounds; i++) {
            byte[] module = salted(base, i);
            long c0 = t.getCurrentThreadCpuTime();
            GuestLoader.load(guest.getFileName().toString(), module, GuestLimits.defaults());
            long c1 = t.getCurrentThreadCpuTime();
            GuestLoader.load(guest.getFileName().toString(), module, GuestLimits.defaults());
            long c2 = t.getCurrentThreadCpuTime();
            if (i >= warmup) {
                fresh[i - warmup] = c1 - c0;
                cached[i - warmup] = c2 - c1;
            }
        }
        double f = median(fresh) / 1e6;
        double c = median(cached) / 1e6;
        System.out.printf(
                "load %s (%d bytes), thread CPU, median of %d after %d warm-up: new module %.1f ms,"
                        + " classes cached %.1f ms, ratio %.1fx (%s)%n",
                guest.getFileName(),
                base.length,
                rounds,
                warmup,
                f,
                c,
                f / c,
                CompiledClassCache.installed().hits() + " hits");
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** The module with a custom section "s" holding {@code n}: same code, another SHA-256. */
    static byte[] salted(byte[] module, int n) {
        byte[] out = Arrays.copyOf(module, module.length + 8);
        int at = module.length;
        out[at] = 0; // custom section
        out[at + 1] = 6; // its size
        out[at + 2] = 1; // name length
        out[at + 3] = 's';
        for (int i = 0; i < 4; i++) {
            out[at + 4 + i] = (byte) (n >>> (8 * i));
        }
        return out;
    }

    private static double median(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
    }
}
