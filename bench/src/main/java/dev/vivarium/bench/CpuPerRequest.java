package dev.vivarium.bench;

import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.engine.Route;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Thread CPU time per pooled request through the engine, for a machine too loaded for JMH's wall
 * clock (issue 17 goal 3): {@code CpuPerRequest DIST_DIR GUEST WARMUP N ROUNDS} prints the median
 * over the rounds of N requests each, after WARMUP requests. Run it with {@code -Xbatch} so the
 * warm-up's compilations are done before the rounds.
 */
public final class CpuPerRequest {
    private CpuPerRequest() {}

    public static void main(String[] args) {
        if (args.length != 5) {
            System.err.println("usage: CpuPerRequest DIST_DIR GUEST WARMUP N ROUNDS");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        String guest = args[1];
        int warmup = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        try (Vivarium engine =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(dir)
                                        .poolSize(4)
                                        .route("/hello -> " + guest)
                                        .build())
                        .start()) {
            Route route = engine.route("localhost", "/hello");
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            for (int i = 0; i < warmup; i++) {
                Guests.get(engine, route, "/hello");
            }
            double[] micros = new double[rounds];
            for (int k = 0; k < rounds; k++) {
                long start = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    Guests.get(engine, route, "/hello");
                }
                micros[k] = (threads.getCurrentThreadCpuTime() - start) / 1000.0 / n;
            }
            Arrays.sort(micros);
            System.out.printf(
                    "%s median %.2f us CPU/request (min %.2f, max %.2f)%n",
                    guest, micros[rounds / 2], micros[0], micros[rounds - 1]);
        }
    }
}
