package dev.vivarium.bench;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.deploy.UploadOptions;
import dev.vivarium.core.engine.InstancePool;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A bounded soak run of one engine, all in this JVM, everything on 127.0.0.1: client threads send
 * requests to fast guests, faulting guests (panic, trap, deadline, refused memory growth), KV
 * counters and outbound guests (against a local upstream started here), while an uploader thread
 * deploys, replaces and removes uploaded deployments (KV-using ones too) and lets short-lived ones
 * expire. It checks every outcome against what its target must answer, the KV counters against the
 * requests that succeeded, the pools, threads, heap and file descriptors, and that closing the
 * engine leaves no Vivarium thread. Exits 1 on any violation.
 *
 * <p>Usage: {@code java -XX:-DontCompileHugeMethods -cp bench/target/benchmarks.jar
 * dev.vivarium.bench.Soak [SECONDS]} (default 60), from the repository root.
 */
public final class Soak {
    private static final String KEY = "kv_counter:count";
    private static final long SLOW_MILLIS = 100;
    private static final long HANG_MILLIS = 2000;

    private final long seconds;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();

    /** Violations grouped by their text with digits masked: count and first example. */
    private final Map<String, Object[]> violations = new ConcurrentHashMap<>();

    private final AtomicInteger violationCount = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final long started = System.nanoTime();
    private final List<String> samples = new ArrayList<>();

    /** Removals (and expiries) of uploaded deployment {@code up-kv}; its counter restarts. */
    private final AtomicLong upKvResets = new AtomicLong();

    /** Removals of {@code up-kv} that returned. */
    private final AtomicLong upKvRemoved = new AtomicLong();

    private final Map<String, AtomicLong> counterSuccesses = new ConcurrentHashMap<>();
    private final AtomicLong upKvLast = new AtomicLong();
    private final LongAdder deploys = new LongAdder();
    private final LongAdder removes = new LongAdder();
    private final LongAdder expired = new LongAdder();

    private Vivarium engine;
    private String upstream;
    private String dead;

    private Soak(long seconds) {
        this.seconds = seconds;
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            // a line per deploy would bury the summary; warnings and errors stay
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 60;
        if (seconds < 5 || seconds > 280) {
            throw new IllegalArgumentException("SECONDS must be 5..280 (a run stops by itself)");
        }
        int code = new Soak(seconds).run();
        System.exit(code);
    }

    // --- the run --------------------------------------------------------------------------------

    private int run() throws Exception {
        Path tmp = Files.createTempDirectory("vivarium-soak");
        Server up = startUpstream();
        upstream = "http://127.0.0.1:" + ((ServerConnector) up.getConnectors()[0]).getLocalPort();
        dead = closedBase();
        Path guests = Guests.root();
        VivariumOptions.Builder b =
                VivariumOptions.builder()
                        .guestDirectory(guests)
                        .poolSize(4)
                        .maxMemoryPages(64)
                        .kv(
                                KvOptions.builder(tmp.resolve("kv"))
                                        .purgeInterval(Duration.ofMillis(200))
                                        .build())
                        .uploads(UploadOptions.builder(tmp.resolve("deployments")).max(4).build());
        String out = "; outbound=" + upstream + " " + dead;
        for (String r :
                List.of(
                        "/hello -> dist/hello.wasm",
                        "/hello-c -> dist/hello_c.wasm",
                        "/echo/* -> dist/echo.wasm",
                        "/panic -> wat/fixtures/panic.wat",
                        "/div -> wat/fixtures/trap_div.wat",
                        "/loop -> wat/fixtures/loop_forever.wat; deadline=50ms",
                        "/grow -> wat/fixtures/grow_memory.wat",
                        "/grow-ok -> wat/fixtures/reset_state.wat",
                        "/block -> wat/fixtures/http_block.wat; deadline=100ms" + out,
                        "/counter-a -> wat/fixtures/kv_counter.wat; id=counter-a",
                        "/counter-b -> dist/kv_counter.wasm; id=counter-b",
                        "/fetch -> dist/fetch.wasm" + out,
                        "/fanout -> dist/fanout.wasm" + out,
                        "/async -> wat/fixtures/http_async.wat" + out)) {
            b.route(r);
        }
        engine = Vivarium.builder(b.build()).start();
        byte[] kvWat = Files.readAllBytes(guests.resolve("wat/fixtures/kv_counter.wat"));
        byte[] kvWasm = Files.readAllBytes(guests.resolve("dist/kv_counter.wasm"));
        byte[] helloWasm = Files.readAllBytes(guests.resolve("dist/hello.wasm"));
        byte[] helloWat = Files.readAllBytes(guests.resolve("wat/fixtures/hello_raw.wat"));

        long fdStart = fds();
        int threadsStart = threadCount();
        sample("start");

        List<Thread> clients = new ArrayList<>();
        clients.add(client("fast-1", this::fast));
        clients.add(client("fast-2", this::fast));
        clients.add(client("echo", this::echo));
        clients.add(client("faults-1", this::faults));
        clients.add(client("faults-2", this::faults));
        clients.add(client("counter-a", r -> counter("counter-a")));
        clients.add(client("counter-b", r -> counter("counter-b")));
        clients.add(client("outbound-1", this::outbound));
        clients.add(client("outbound-2", this::outbound));
        clients.add(client("uploaded", this::uploaded));
        clients.add(client("uploaded-kv", r -> uploadedKv()));
        clients.add(client("uploaded-ttl", r -> uploadedTtl()));
        clients.add(
                client(
                        "uploader",
                        new Step() {
                            int i;

                            @Override
                            public void step(SplittableRandom r) throws Exception {
                                upload(i++, r, kvWat, kvWasm, helloWasm, helloWat);
                            }
                        }));
        clients.forEach(Thread::start);

        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        boolean middle = false;
        while (System.nanoTime() < end) {
            Thread.sleep(200);
            if (!middle && System.nanoTime() > end - Duration.ofSeconds(seconds).toNanos() / 2) {
                middle = true;
                sample("middle");
            }
        }
        stop.set(true);
        for (Thread t : clients) {
            t.join(30_000);
            if (t.isAlive()) {
                violation("client thread " + t.getName() + " did not stop within 30 s");
            }
        }
        sample("end");
        long fdEnd = fds();
        int threadsEnd = threadCount();

        // pools: nothing in use once every client stopped
        StringBuilder pools = new StringBuilder();
        for (InstancePool p : engine.pools()) {
            pools.append("  ").append(p).append('\n');
            if (p.inUse() != 0) {
                violation("pool in use after the run: " + p);
            }
            if (p.idle() > p.maxIdle()) {
                violation("pool holds more idle instances than its maximum: " + p);
            }
        }
        // memory: what the budget counts is exactly what the idle instances hold (nothing leaked
        // or given back twice across replaced, removed and expired uploads)
        long idleMemory = engine.pools().stream().mapToLong(InstancePool::idleMemory).sum();
        double counted = engine.meterRegistry().get("vivarium.memory.used").gauge().value();
        System.out.printf(
                "memory: %.0f bytes counted, idle instances hold %d%n", counted, idleMemory);
        if (counted != idleMemory) {
            violation("vivarium.memory.used = " + counted + ", idle instances hold " + idleMemory);
        }
        engine.meterRegistry()
                .find("vivarium.pool.instances")
                .tag("state", "in_use")
                .gauges()
                .forEach(
                        g -> {
                            if (g.value() != 0) {
                                violation("gauge " + g.getId() + " = " + g.value());
                            }
                        });
        // KV counters: the stored count is the number of requests that succeeded
        for (String id : List.of("counter-a", "counter-b")) {
            long ok = counterSuccesses.getOrDefault(id, new AtomicLong()).get();
            byte[] v = engine.kvStores().get(id, KEY);
            long stored = v == null ? 0 : Long.parseLong(new String(v, StandardCharsets.UTF_8));
            System.out.printf("KV %s: %d successful requests, stored count %d%n", id, ok, stored);
            if (stored != ok) {
                violation("KV " + id + ": stored " + stored + " != " + ok + " successes");
            }
        }
        if (engine.uploads().get("up-kv") != null) {
            byte[] v = engine.kvStores().get("up-kv", KEY);
            long stored = v == null ? 0 : Long.parseLong(new String(v, StandardCharsets.UTF_8));
            System.out.printf(
                    "KV up-kv: last count seen %d, stored count %d%n", upKvLast.get(), stored);
            if (stored != upKvLast.get()) {
                violation("KV up-kv: stored " + stored + " != last answered " + upKvLast.get());
            }
        }
        String describe = engine.describe();
        engine.close();
        up.stop();
        // every vivarium thread ends with close (idle KV writers after their pool shuts down)
        List<String> left = List.of();
        for (int i = 0; i < 100; i++) {
            left = vivariumThreads();
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(100);
        }
        if (!left.isEmpty()) {
            violation("threads left 10 s after close(): " + left);
        }
        sample("closed");
        long fdClosed = fds();

        // --- report
        System.out.println();
        System.out.printf(
                "Soak: %d s, %d requests (%.0f/s), %d deploys, %d removes, %d expired%n",
                seconds,
                requests.sum(),
                requests.sum() / (double) seconds,
                deploys.sum(),
                removes.sum(),
                expired.sum());
        System.out.println("Outcomes (target kind status):");
        new TreeMap<>(outcomes).forEach((k, v) -> System.out.printf("  %-44s %9d%n", k, v.sum()));
        System.out.println("Pools at the end:");
        System.out.print(pools);
        System.out.println("Engine before close:");
        System.out.print(describe.indent(2));
        System.out.println("Resources (threads, heap after GC, open fds):");
        samples.forEach(s -> System.out.println("  " + s));
        System.out.printf(
                "fds: start %d, end %d, after close %d; threads: start %d, end %d%n",
                fdStart, fdEnd, fdClosed, threadsStart, threadsEnd);
        if (fdEnd - fdStart > 64) {
            violation("open file descriptors grew from " + fdStart + " to " + fdEnd);
        }
        if (fdClosed - fdStart > 16) {
            violation("file descriptors after close: " + fdClosed + " (start " + fdStart + ")");
        }
        if (threadsEnd - threadsStart > 64) {
            violation("threads grew from " + threadsStart + " to " + threadsEnd);
        }
        deleteTree(tmp);
        if (violationCount.get() > 0) {
            System.out.println();
            System.out.println("VIOLATIONS: " + violationCount.get() + " (count, first example):");
            violations.values().stream()
                    .limit(40)
                    .forEach(
                            v -> {
                                System.out.printf("  %8d times, e.g.:%n", ((LongAdder) v[0]).sum());
                                ((Iterable<?>) v[1]).forEach(e -> System.out.println("      " + e));
                            });
            return 1;
        }
        System.out.println("OK: every invariant held");
        return 0;
    }

    // --- clients --------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Step {
        void step(SplittableRandom random) throws Exception;
    }

    private Thread client(String name, Step step) {
        Thread t =
                new Thread(
                        () -> {
                            SplittableRandom r = new SplittableRandom(name.hashCode());
                            while (!stop.get()) {
                                try {
                                    step.step(r);
                                } catch (Throwable e) {
                                    violation(name + ": " + e);
                                    if (violationCount.get() < 5) {
                                        e.printStackTrace();
                                    }
                                }
                            }
                        },
                        "soak-" + name);
        t.setDaemon(true);
        return t;
    }

    private void fast(SplittableRandom r) {
        boolean c = r.nextBoolean();
        String path = c ? "/hello-c" : "/hello";
        Outcome o = send("GET", path, new Headers(), null);
        expect(path, o, Outcome.Kind.OK, 200, c ? "Hello from C!" : "Hello, world!", true);
    }

    private void echo(SplittableRandom r) {
        byte[] body = new byte[r.nextInt(0, 16 << 10)];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + r.nextInt(26));
        }
        String text = new String(body, StandardCharsets.US_ASCII);
        Outcome o = send("POST", "/echo/x?n=" + body.length, new Headers(), body);
        expect("/echo", o, Outcome.Kind.OK, 200, null, false);
        if (o.isOk() && !new String(o.body(), StandardCharsets.UTF_8).endsWith("\n" + text)) {
            violation("/echo: body not echoed (" + body.length + " bytes sent)");
        }
    }

    private void faults(SplittableRandom r) {
        switch (r.nextInt(6)) {
            case 4 -> {
                Outcome o = get("/grow-ok");
                expect("/grow-ok", o, Outcome.Kind.OK, 200, null, false);
                if (o.isOk() && (o.body().length != 20 || o.body()[0] != (byte) 0xAB)) {
                    violation("/grow-ok: unexpected body of " + o.body().length + " bytes");
                }
            }
            case 5 -> {
                Headers h = new Headers();
                h.set("x-url", List.of(upstream + "/hang"));
                h.set("x-mode", List.of(new String[] {"s", "w", "x"}[r.nextInt(3)]));
                expect(
                        "/block",
                        send("GET", "/block", h, null),
                        Outcome.Kind.DEADLINE,
                        504,
                        null,
                        false);
            }
            case 0 -> expect("/panic", get("/panic"), Outcome.Kind.PANIC, 500, null, false);
            case 1 -> expect("/div", get("/div"), Outcome.Kind.TRAP, 500, null, false);
            case 2 -> expect("/loop", get("/loop"), Outcome.Kind.DEADLINE, 504, null, false);
            default -> expect("/grow", get("/grow"), Outcome.Kind.OK, 200, "grow=-1", true);
        }
    }

    private void counter(String id) {
        Outcome o = get("/" + id);
        expect("/" + id, o, Outcome.Kind.OK, 200, null, false);
        if (o.isOk()) {
            long n = Long.parseLong(new String(o.body(), StandardCharsets.UTF_8).trim());
            long expected =
                    counterSuccesses.computeIfAbsent(id, k -> new AtomicLong()).incrementAndGet();
            if (n != expected) {
                violation("/" + id + ": answered " + n + ", expected " + expected);
            }
        }
    }

    private void outbound(SplittableRandom r) {
        switch (r.nextInt(3)) {
            case 0 -> {
                Outcome o = get("/fetch?url=" + upstream + "/fast");
                expect("/fetch", o, Outcome.Kind.OK, 200, "fast", true);
            }
            case 1 -> {
                Outcome o =
                        get(
                                "/fanout?url="
                                        + upstream
                                        + "/fast&url="
                                        + upstream
                                        + "/slow&url="
                                        + upstream
                                        + "/fast");
                expect("/fanout", o, Outcome.Kind.OK, 200, null, false);
                if (o.isOk()) {
                    String text = new String(o.body(), StandardCharsets.UTF_8);
                    if (text.lines().count() != 3 || text.contains("error")) {
                        violation("/fanout: " + text.replace('\n', '|'));
                    }
                }
            }
            default -> {
                Headers h = new Headers();
                h.set("x-fast-url", List.of(upstream + "/fast"));
                h.set("x-slow-url", List.of(upstream + "/slow"));
                h.set("x-dead-url", List.of(dead + "/"));
                Outcome o = send("GET", "/async", h, null);
                expect("/async", o, Outcome.Kind.OK, 200, "ok", true);
            }
        }
    }

    /** Uploaded hello deployment (replaced and removed while it runs): 200 or not routed. */
    private void uploaded(SplittableRandom r) throws InterruptedException {
        Outcome o = send("GET", "/uph/x", new Headers(), null);
        if (o == null) {
            count("/uph/x unrouted");
            Thread.sleep(1);
            return;
        }
        if (o.kind() == Outcome.Kind.HOST_ERROR
                && o.status() == 503
                && (o.message().contains("was removed while the request ran")
                        || o.message().contains("was replaced while the request ran"))) {
            // routed just before the uploader removed or replaced it (docs/uploads.md): counted
            count("/uph/x " + o.kind() + " " + o.status() + " (removed while routed)");
            return;
        }
        expect("/uph/x", o, Outcome.Kind.OK, 200, "Hello, world!", true);
    }

    /**
     * The uploaded KV counter, from this one thread: each answer is the previous one plus one, or 1
     * after the deployment was removed (a new deployment starts an empty store). Replacing keeps
     * the store, so it never restarts the count.
     */
    private void uploadedKv() throws InterruptedException {
        long resetsBefore = upKvResets.get();
        long removedBefore = upKvRemoved.get();
        Outcome o = send("GET", "/up/kv", new Headers(), null);
        if (o == null) {
            count("/up/kv unrouted");
            Thread.sleep(1);
            return;
        }
        long resetsAfter = upKvResets.get();
        if (o.kind() == Outcome.Kind.HOST_ERROR
                && o.status() == 503
                && resetsAfter != resetsBefore
                && (o.message().contains("deleted with its deployment")
                        || o.message().contains("was removed while the request ran"))) {
            // routed just before it was removed: documented
            count("/up/kv " + o.kind() + " " + o.status() + " (removed while running)");
            return;
        }
        expect("/up/kv", o, Outcome.Kind.OK, 200, null, false);
        if (o.isOk()) {
            long n = Long.parseLong(new String(o.body(), StandardCharsets.UTF_8).trim());
            long last = upKvLast.get();
            // a new store needs a removal that started after the last success's request did
            boolean fresh = n == 1 && (resetsAfter > upKvSeenResets || last == 0);
            if (n != last + 1 && !fresh) {
                violation(
                        "/up/kv: answered "
                                + n
                                + " after "
                                + last
                                + " (resets "
                                + upKvSeenResets
                                + " -> "
                                + resetsAfter
                                + "); last uploader events: "
                                + List.copyOf(events));
            }
            upKvLast.set(n);
            upKvSeenResets = removedBefore;
        }
    }

    private volatile long upKvSeenResets;

    /** A KV deployment with a short lifetime: 200, not routed, or 503 once its store expired. */
    private void uploadedTtl() throws InterruptedException {
        Outcome o = send("GET", "/up/ttl", new Headers(), null);
        if (o == null) {
            count("/up/ttl unrouted");
            Thread.sleep(1);
            return;
        }
        if (o.kind() == Outcome.Kind.HOST_ERROR
                && o.status() == 503
                && (o.message().contains("lifetime ended")
                        || o.message().contains("deleted with its deployment")
                        || o.message().contains("was expired while the request ran"))) {
            count("/up/ttl " + o.kind() + " " + o.status() + " (expired while routed)");
            Thread.sleep(1);
            return;
        }
        expect("/up/ttl", o, Outcome.Kind.OK, 200, null, false);
    }

    // --- the uploader -------------------------------------------------------------------------

    private long ttlDeployedAt;

    private void upload(
            int i,
            SplittableRandom r,
            byte[] kvWat,
            byte[] kvWasm,
            byte[] helloWasm,
            byte[] helloWat)
            throws Exception {
        var u = engine.uploads();
        // the KV counter: replaced (WAT and Rust alternately; the store stays) or removed
        if (i % 10 == 9) {
            upKvResets.incrementAndGet();
            event("remove up-kv");
            if (u.remove("up-kv")) {
                removes.increment();
            }
            upKvRemoved.incrementAndGet();
            if (engine.kvStores().deployments().contains("up-kv")) {
                violation("store of up-kv still there after its removal");
            }
        } else {
            boolean existed = u.get("up-kv") != null;
            u.deploy("up-kv", "/up/kv", null, null, List.of(), i % 2 == 0 ? kvWat : kvWasm);
            event((existed ? "replace" : "deploy") + " up-kv " + (i % 2 == 0 ? "wat" : "wasm"));
            deploys.increment();
        }
        // a hello deployment: replaced or removed
        if (r.nextInt(5) == 0) {
            if (u.remove("up-hello")) {
                removes.increment();
            }
        } else {
            u.deploy(
                    "up-hello",
                    "/uph/*",
                    null,
                    null,
                    List.of(),
                    r.nextBoolean() ? helloWasm : helloWat);
            deploys.increment();
        }
        // a short-lived KV deployment, left to the expiry thread
        long now = System.nanoTime();
        if (u.get("up-ttl") == null) {
            if (ttlDeployedAt != 0) {
                expired.increment();
                if (engine.kvStores().deployments().contains("up-ttl")) {
                    violation("store of up-ttl still there after its deployment expired");
                }
            }
            u.deploy("up-ttl", "/up/ttl", Duration.ofMillis(300), null, List.of(), kvWat);
            deploys.increment();
            ttlDeployedAt = now;
        } else if (now - ttlDeployedAt > Duration.ofSeconds(5).toNanos()) {
            violation("up-ttl (300 ms) still deployed after 5 s");
            ttlDeployedAt = now;
        }
        if (r.nextInt(20) == 0) {
            u.expire();
        }
        Thread.sleep(r.nextInt(5, 40));
    }

    // --- requests and checks ------------------------------------------------------------------

    private Outcome get(String target) {
        return send("GET", target, new Headers(), null);
    }

    /** One request; null when no route takes it. Exceptions out of handle are violations. */
    private Outcome send(String method, String target, Headers headers, byte[] body) {
        GuestRequest req =
                new GuestRequest(method, target, "localhost", headers, body, "127.0.0.1");
        Route route = engine.route("localhost", req.path());
        if (route == null) {
            return null;
        }
        requests.increment();
        try {
            return engine.handle(route, req);
        } catch (RuntimeException | Error e) {
            count(req.path() + " THROWN " + e.getClass().getSimpleName());
            violation("handle threw for " + target + ": " + e);
            throw e;
        }
    }

    private void expect(
            String target,
            Outcome o,
            Outcome.Kind kind,
            int status,
            String body,
            boolean exactBody) {
        if (o == null) {
            count(target + " unrouted");
            violation(target + ": not routed");
            return;
        }
        count(target + " " + o.kind() + " " + o.status());
        if (o.kind() != kind || o.status() != status) {
            violation(target + ": expected " + kind + " " + status + ", got " + o);
            return;
        }
        if (body != null && exactBody) {
            String got = new String(o.body(), StandardCharsets.UTF_8);
            if (!got.equals(body)) {
                violation(target + ": body '" + got + "', expected '" + body + "'");
            }
        }
    }

    /** The last uploader events, printed with violations of the uploaded KV counter. */
    private final java.util.concurrent.ConcurrentLinkedDeque<String> events =
            new java.util.concurrent.ConcurrentLinkedDeque<>();

    private void event(String what) {
        events.addLast(String.format("%.3f s: %s", (System.nanoTime() - started) / 1e9, what));
        while (events.size() > 8) {
            events.pollFirst();
        }
    }

    private void count(String key) {
        outcomes.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private void violation(String what) {
        violationCount.incrementAndGet();
        String key = what.replaceAll("[0-9]+", "N");
        Object[] v =
                violations.computeIfAbsent(
                        key,
                        k -> new Object[] {new LongAdder(), new ConcurrentLinkedQueue<String>()});
        ((LongAdder) v[0]).increment();
        @SuppressWarnings("unchecked")
        ConcurrentLinkedQueue<String> examples = (ConcurrentLinkedQueue<String>) v[1];
        if (examples.size() < 5) {
            examples.add(String.format("%.3f s: %s", (System.nanoTime() - started) / 1e9, what));
        }
    }

    // --- resources ----------------------------------------------------------------------------

    private void sample(String when) {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        String s =
                String.format(
                        "%-7s threads %3d (vivarium %3d), heap %6.1f MiB, fds %4d",
                        when, threadCount(), vivariumThreads().size(), heap / 1048576.0, fds());
        samples.add(s);
        System.out.println(s);
    }

    private static int threadCount() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    private static List<String> vivariumThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .map(Thread::getName)
                .filter(n -> n.startsWith("vivarium"))
                .sorted()
                .toList();
    }

    private static long fds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // --- the upstream -------------------------------------------------------------------------

    private static String closedBase() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code /fast}: 200 "fast"; {@code /slow}: 200 "slow" after {@value #SLOW_MILLIS} ms; {@code
     * /hang}: 200 "late" after {@value #HANG_MILLIS} ms (past the {@code /block} deadline).
     */
    private static Server startUpstream() throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("soak-upstream");
        threads.setDaemon(true);
        Server server = new Server(threads);
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        c.setPort(0);
        server.addConnector(c);
        server.setHandler(
                new Handler.Abstract() {
                    @Override
                    public boolean handle(Request request, Response response, Callback callback)
                            throws Exception {
                        String path = Request.getPathInContext(request);
                        String body = "fast";
                        if (path.equals("/hang")) {
                            Thread.sleep(HANG_MILLIS);
                            body = "late";
                        } else if (path.equals("/slow")) {
                            Thread.sleep(SLOW_MILLIS);
                            body = "slow";
                        } else if (!path.equals("/fast")) {
                            response.setStatus(404);
                            body = "no " + path;
                        }
                        response.getHeaders().put("content-type", "text/plain");
                        response.write(
                                true,
                                ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)),
                                callback);
                        return true;
                    }
                });
        server.start();
        return server;
    }
}
