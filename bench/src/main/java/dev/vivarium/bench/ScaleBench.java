package dev.vivarium.bench;

import dev.vivarium.jetty.VivariumHandler;
import java.io.IOException;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Scale in deployments ({@code bench/scale.sh}, issue 17 goal 6): one Jetty on 127.0.0.1 with
 * {@link VivariumHandler} and its admin API; small WAT deployments are uploaded through the admin
 * API over HTTP (the real upload path) up to each step of the curve (default 1, 100, 1,000,
 * 10,000); at each step it prints the heap after a full GC (nothing has run yet: every pool empty),
 * the upload rate, and the p50/p99 of hello requests that wrk sends to random deployments, half by
 * host name ({@code dN.scale.test}) and half by path ({@code /dN/hello}), plus a fixed one, with
 * the ratio of each p50 to the first step's.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.vivarium.bench.ScaleBench [steps]
 * [distinct-modules] [wrk-seconds] [connections]}, e.g. {@code 1,100,1000,10000 10 5 8}.
 */
public final class ScaleBench {
    private static final String TOKEN = "scale-bench-token";
    private static final String DOMAIN = "scale.test";

    private ScaleBench() {}

    /**
     * A small WAT hello guest; {@code variant} makes its bytes (and its compiled module) its own.
     */
    static String guest(int variant) {
        String body = String.format(Locale.ROOT, "Hello, world! %05d", variant);
        return "(module\n"
                + " (import \"env\" \"hostcall_resp_set_response_code\" (func $code (param i32"
                + " i32) (result i32)))\n"
                + " (import \"env\" \"hostcall_resp_set_body\" (func $body (param i32 i32 i32)"
                + " (result i32)))\n"
                + " (memory 1)\n"
                + " (data (i32.const 16) \""
                + body
                + "\")\n"
                + " (func (export \"run\")\n"
                + "  (drop (call $body (i32.const 0) (i32.const 16) (i32.const "
                + body.length()
                + ")))\n"
                + "  (drop (call $code (i32.const 0) (i32.const 200)))))\n";
    }

    public static void main(String[] args) throws Exception {
        List<Integer> steps = new ArrayList<>();
        for (String s : (args.length > 0 ? args[0] : "1,100,1000,10000").split(",")) {
            steps.add(Integer.parseInt(s.trim()));
        }
        int distinct = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int connections = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        int max = steps.stream().mapToInt(Integer::intValue).max().orElse(1);

        Path dir = Files.createTempDirectory("vivarium-scale");
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        VivariumHandler vivarium = new VivariumHandler(new BenchServer.PlainHandler());
        vivarium.setSetting("admin.token", TOKEN);
        vivarium.setSetting("deployments.directory", dir.resolve("deployments").toString());
        vivarium.setSetting("kv.directory", dir.resolve("kv").toString());
        vivarium.setSetting("deployments.domain", DOMAIN);
        vivarium.setSetting("deployments.max", String.valueOf(Math.max(16, max)));
        vivarium.setSetting("deployments.maxConcurrentUploads", "4");
        String idle = System.getenv("SCALE_POOL_IDLE_TIMEOUT");
        if (idle != null && !idle.isBlank()) {
            vivarium.setSetting("poolIdleTimeout", idle);
        }
        server.setHandler(vivarium);
        server.start();
        int port = connector.getLocalPort();
        String base = "http://127.0.0.1:" + port;
        System.out.printf(
                "scale bench on %s: steps %s, %d distinct modules, wrk %d s x %d connections, %s%n",
                base, steps, distinct, seconds, connections, Runtime.version());
        System.out.printf(
                "%-11s %10s %10s %9s %11s %11s %7s %11s %11s %7s %11s%n",
                "deployments",
                "heap MB",
                "KB/added",
                "upload/s",
                "rand p50 ms",
                "rand p99 ms",
                "ratio",
                "fixed p50",
                "fixed p99",
                "ratio",
                "classes");

        HttpClient http =
                HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(10))
                        .version(HttpClient.Version.HTTP_1_1)
                        .build();
        Path lua = dir.resolve("random.lua");
        double lastHeap = heapAfterGc();
        double firstRandom = 0;
        double firstFixed = 0;
        int have = 0;
        try {
            for (int step : steps) {
                long t0 = System.nanoTime();
                upload(http, base, have, step, distinct);
                double uploadSeconds = (System.nanoTime() - t0) / 1e9;
                int added = step - have;
                have = step;
                double heap = heapAfterGc();
                if (step == steps.get(steps.size() - 1) && System.getenv("SCALE_HISTO") != null) {
                    System.out.println(histogram(25));
                }
                Files.writeString(lua, luaScript(step));
                // warm-up: the JIT (first step), and an instance in the pool of every deployment
                // the measured run will call, so that each step measures routing and running, not
                // the first request of each deployment (which builds its instance)
                wrk(base + "/", lua, seconds, connections);
                if (firstRandom == 0) {
                    wrk(base + "/d0/hello", null, seconds, connections);
                }
                double[] random = wrk(base + "/", lua, seconds, connections);
                double[] fixed = wrk(base + "/d0/hello", null, seconds, connections);
                if (firstRandom == 0) {
                    firstRandom = random[0];
                    firstFixed = fixed[0];
                }
                System.out.printf(
                        Locale.ROOT,
                        "%-11d %10.1f %10.1f %9.0f %11.3f %11.3f %7.2f %11.3f %11.3f %7.2f %11d%n",
                        step,
                        heap / 1e6,
                        (heap - lastHeap) / Math.max(1, added) / 1e3,
                        added / Math.max(uploadSeconds, 1e-9),
                        random[0],
                        random[1],
                        random[0] / firstRandom,
                        fixed[0],
                        fixed[1],
                        fixed[0] / firstFixed,
                        classes().getLoadedClassCount());
                lastHeap = heap;
            }
            String wait = System.getenv("SCALE_IDLE_WAIT");
            if (wait != null && !wait.isBlank()) {
                // the pools the requests filled shrink back to nothing once idle
                Thread.sleep(Duration.parse("PT" + wait.toUpperCase(Locale.ROOT)).toMillis());
                System.out.printf(
                        Locale.ROOT,
                        "after %s idle: heap %.1f MB, guest memory held %.1f MB%n",
                        wait,
                        heapAfterGc() / 1e6,
                        vivarium.getVivarium().memoryUsed() / 1e6);
            }
            System.out.printf(
                    Locale.ROOT,
                    "metaspace %.1f MB, guest memory held %.1f MB%n",
                    metaspace() / 1e6,
                    vivarium.getVivarium().memoryUsed() / 1e6);
        } finally {
            server.stop();
            deleteTree(dir);
        }
    }

    /** Uploads deployments {@code from} to {@code to - 1} on 4 threads, retrying a busy answer. */
    private static void upload(HttpClient http, String base, int from, int to, int distinct)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicInteger next = new AtomicInteger(from);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            done.add(
                    pool.submit(
                            () -> {
                                for (int i = next.getAndIncrement();
                                        i < to;
                                        i = next.getAndIncrement()) {
                                    uploadOne(http, base, i, distinct);
                                }
                                return null;
                            }));
        }
        pool.shutdown();
        for (Future<?> f : done) {
            f.get();
        }
        pool.awaitTermination(1, TimeUnit.MINUTES);
    }

    private static void uploadOne(HttpClient http, String base, int i, int distinct)
            throws IOException, InterruptedException {
        HttpRequest req =
                HttpRequest.newBuilder(
                                URI.create(
                                        base
                                                + "/_vivarium/deployments/d"
                                                + i
                                                + "?route=/d"
                                                + i
                                                + "/*&ttl=1h"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .PUT(HttpRequest.BodyPublishers.ofString(guest(i % distinct)))
                        .build();
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 201 || r.statusCode() == 200) {
                return;
            }
            if (r.statusCode() != 503 || attempt > 100) {
                throw new IllegalStateException(
                        "upload d" + i + " answered " + r.statusCode() + ": " + r.body());
            }
            Thread.sleep(20);
        }
    }

    /** Each request goes to a random one of {@code n} deployments, by host or by path. */
    private static String luaScript(int n) {
        return "math.randomseed(42)\n"
                + "request = function()\n"
                + "  local i = math.random(0, "
                + (n - 1)
                + ")\n"
                + "  if math.random(0, 1) == 0 then\n"
                + "    return wrk.format('GET', '/hello', { Host = 'd' .. i .. '."
                + DOMAIN
                + "' })\n"
                + "  end\n"
                + "  return wrk.format('GET', '/d' .. i .. '/hello')\n"
                + "end\n"
                + "response = function(status, headers, body)\n"
                + "  if status ~= 200 then error('status ' .. status .. ': ' .. body) end\n"
                + "end\n";
    }

    private static final Pattern PERCENTILE =
            Pattern.compile("^\\s*(50|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$");

    /** p50 and p99 in ms from {@code wrk --latency}; fails on any non-2xx answer. */
    private static double[] wrk(String url, Path script, int seconds, int connections)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t1", "-c" + connections));
        cmd.add("-d" + seconds + "s");
        cmd.add("--latency");
        if (script != null) {
            cmd.add("-s");
            cmd.add(script.toString());
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("wrk failed: " + out);
        }
        if (out.contains("Non-2xx") || out.contains("Socket errors")) {
            throw new IllegalStateException("wrk saw errors: " + out);
        }
        double[] r = new double[2];
        for (String line : out.split("\n")) {
            Matcher m = PERCENTILE.matcher(line);
            if (m.matches()) {
                double v = Double.parseDouble(m.group(2));
                v =
                        switch (m.group(3)) {
                            case "us" -> v / 1000;
                            case "s" -> v * 1000;
                            default -> v;
                        };
                r[m.group(1).equals("50") ? 0 : 1] = v;
            }
        }
        if (r[0] == 0) {
            throw new IllegalStateException("no latency in wrk's output: " + out);
        }
        return r;
    }

    /** Heap in use after full collections (until it stops shrinking). */
    static double heapAfterGc() throws InterruptedException {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (used >= last * 0.99) {
                return used;
            }
            last = used;
        }
        return last;
    }

    /** The top of the heap's class histogram (live objects), as {@code jmap -histo:live}. */
    private static String histogram(int lines) throws Exception {
        String h =
                (String)
                        ManagementFactory.getPlatformMBeanServer()
                                .invoke(
                                        new javax.management.ObjectName(
                                                "com.sun.management:type=DiagnosticCommand"),
                                        "gcClassHistogram",
                                        new Object[] {new String[0]},
                                        new String[] {String[].class.getName()});
        return String.join("\n", h.lines().limit(lines + 3).toList());
    }

    private static ClassLoadingMXBean classes() {
        return ManagementFactory.getClassLoadingMXBean();
    }

    private static long metaspace() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getName().equals("Metaspace")) {
                return p.getUsage().getUsed();
            }
        }
        return -1;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.delete(p);
                                } catch (IOException e) {
                                    // a temp directory: best effort
                                }
                            });
        }
    }
}
