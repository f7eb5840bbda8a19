package dev.vivarium.bench;

import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.engine.Route;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Bytes allocated and thread CPU time per pooled request through the engine, both robust on a
 * loaded machine (issue 17 goal 2): {@code EngineCost WARMUP N ROUNDS GUEST...} prints, per guest,
 * the median over the rounds of N requests each, after WARMUP requests. A guest is a file name in
 * {@code guests/dist} or a path under {@code guests/} ({@code wat/hello.wat}). Run it with {@code
 * -Xbatch -XX:-DontCompileHugeMethods} so the warm-up's compilations are done before the rounds.
 */
public final class EngineCost {
    private EngineCost() {}

    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: EngineCost WARMUP N ROUNDS GUEST...");
            System.exit(2);
        }
        int warmup = Integer.parseInt(args[0]);
        int n = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        for (String guest : Arrays.copyOfRange(args, 3, args.length)) {
            Path file = Guests.resolve(guest);
            try (Vivarium engine =
                    Vivarium.builder(
                                    VivariumOptions.builder()
                                            .guestDirectory(file.getParent())
                                            .poolSize(4)
                                            .route("/hello -> " + file.getFileName())
                                            .build())
                            .start()) {
                Route route = engine.route("localhost", "/hello");
                for (int i = 0; i < warmup; i++) {
                    Guests.get(engine, route, "/hello");
                }
                double[] micros = new double[rounds];
                double[] bytes = new double[rounds];
                for (int k = 0; k < rounds; k++) {
                    long cpu = threads.getCurrentThreadCpuTime();
                    long allocated = threads.getThreadAllocatedBytes(self);
                    for (int i = 0; i < n; i++) {
                        Guests.get(engine, route, "/hello");
                    }
                    micros[k] = (threads.getCurrentThreadCpuTime() - cpu) / 1000.0 / n;
                    bytes[k] = (threads.getThreadAllocatedBytes(self) - allocated) / (double) n;
                }
                Arrays.sort(micros);
                Arrays.sort(bytes);
                System.out.printf(
                        "%-16s %8.0f B/request %8.2f us CPU/request (min %.2f, max %.2f)%n",
                        guest,
                        bytes[rounds / 2],
                        micros[rounds / 2],
                        micros[0],
                        micros[rounds - 1]);
            }
        }
    }
}
