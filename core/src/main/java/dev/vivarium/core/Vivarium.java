package dev.vivarium.core;

import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.IsolationOptions;
import dev.vivarium.core.deploy.AdminApi;
import dev.vivarium.core.deploy.AdminStats;
import dev.vivarium.core.deploy.Assets;
import dev.vivarium.core.deploy.ConfiguredDeployments;
import dev.vivarium.core.deploy.DeploymentBinder;
import dev.vivarium.core.deploy.DeploymentCandidate;
import dev.vivarium.core.deploy.DeploymentInfo;
import dev.vivarium.core.deploy.DeploymentRegistry;
import dev.vivarium.core.deploy.DeploymentRepository;
import dev.vivarium.core.deploy.DeploymentStoreProvider;
import dev.vivarium.core.deploy.DeploymentStores;
import dev.vivarium.core.deploy.FileDeploymentRepository;
import dev.vivarium.core.deploy.GuestWatcher;
import dev.vivarium.core.deploy.LogFollow;
import dev.vivarium.core.deploy.UploadOptions;
import dev.vivarium.core.deploy.Uploads;
import dev.vivarium.core.dns.DnsResolver;
import dev.vivarium.core.engine.Admission;
import dev.vivarium.core.engine.CompiledClassCache;
import dev.vivarium.core.engine.Deployment;
import dev.vivarium.core.engine.Dispatcher;
import dev.vivarium.core.engine.EngineMetrics;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.engine.InstancePool;
import dev.vivarium.core.engine.LatencyHistogram;
import dev.vivarium.core.engine.MemoryBudget;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.http.ServerExchange;
import dev.vivarium.core.kv.KvHealth;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.log.Clip;
import dev.vivarium.core.log.GuestLog;
import dev.vivarium.core.log.LogBudget;
import dev.vivarium.core.log.LogBuffer;
import dev.vivarium.core.log.RefusalLog;
import dev.vivarium.core.outbound.Hops;
import dev.vivarium.core.outbound.OutboundHttp;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.outbound.OutboundQuota;
import dev.vivarium.core.outbound.OutboundSession;
import dev.vivarium.core.routing.RouteSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.LoggerFactory;

/**
 * The engine: loads and compiles every routed guest at start, matches requests to routes and runs
 * them. Adapters (the servlet filter, the Jetty handler) translate their server's request and
 * response to a {@link ServerExchange} and hand it to {@link #serve}; Java code can also run a
 * route directly with {@link #handle}.
 *
 * <pre>{@code
 * Vivarium engine = Vivarium.builder(VivariumOptions.builder()
 *         .guestDirectory(Path.of("guests"))
 *         .route("/hello -> hello.wasm")
 *         .build()).start();
 * Route route = engine.route("example.com", "/hello");
 * Outcome outcome = engine.handle(route, request);
 * }</pre>
 */
public final class Vivarium implements AutoCloseable {
    /** Refused requests any client can cause: a few lines a second, the rest counted. */
    private static final RefusalLog REFUSALS =
            new RefusalLog(LoggerFactory.getLogger("vivarium.refused"));

    private final VivariumOptions options;
    private final DeploymentRegistry registry;
    private final Dispatcher dispatcher;
    private final EngineMetrics metrics;
    private final Clock clock;
    private final RandomGenerator random;
    private final DnsResolver dns;
    private final KvStores kvStores;
    private final OutboundHttp outbound;
    private final MemoryBudget memory;
    private final Uploads uploads;
    private final GuestWatcher guestWatcher;
    private final AdminApi admin;
    private volatile boolean started;
    private final Map<String, LogBuffer> logs = new java.util.concurrent.ConcurrentHashMap<>();
    private final LogSink logSink;
    private volatile boolean closed;

    /** The repository {@code deployments.store} names. */
    private static DeploymentRepository repository(UploadOptions u) {
        DeploymentStoreProvider p = DeploymentStores.provider(u.store());
        return p == null ? new FileDeploymentRepository(u.directory()) : p.open(u.storeSettings());
    }

    private Vivarium(
            Builder b,
            List<DeploymentCandidate> configured,
            EngineMetrics metrics,
            Services services) {
        this.options = b.options;
        this.logSink = b.logSink;
        this.metrics = metrics;
        this.clock = b.clock;
        this.random = b.random;
        this.dns = services.dns;
        this.kvStores = services.kv;
        this.outbound = services.outbound;
        this.memory = services.memory;
        this.dispatcher = new Dispatcher(this::context, metrics, this::successor);
        this.registry =
                new DeploymentRegistry(
                        new EngineBinder(),
                        kvStores,
                        clock,
                        b.repository != null ? b.repository : repository(options.uploads()));
        GuestWatcher watcher = null;
        try {
            registry.trimIdlePools(options.poolIdleTimeout());
            registry.publishConfigured(registry.prepare(configured));
            watcher =
                    options.watchGuests() && !options.routes().isEmpty()
                            ? new GuestWatcher(
                                    options.routes(),
                                    options.uploads(),
                                    options.guestDirectory(),
                                    options.guestLimits(),
                                    registry)
                            : null;
            this.guestWatcher = watcher;
            // last: restoring kept uploads publishes routes
            this.uploads =
                    new Uploads(
                            options.uploads(),
                            options.deadline(),
                            options.guestLimits(),
                            options.routes(),
                            registry,
                            clock,
                            b.uploadExecutor);
        } catch (RuntimeException | Error e) {
            if (watcher != null) {
                watcher.close();
            }
            registry.close();
            dispatcher.close();
            throw e;
        }
        metrics.gauge(
                "vivarium.deployments.uploaded",
                "deployments uploaded at run time",
                null,
                uploads,
                Uploads::count);
        metrics.gauge(
                "vivarium.deployments.compiling",
                "uploads being parsed and compiled now",
                null,
                uploads,
                Uploads::compiling);
        this.admin =
                options.uploads().adminEnabled()
                        ? new AdminApi(
                                options.uploads(),
                                AdminApi.over(uploads, registry, this::logs, this::adminStats),
                                new LogFollow(options.logFollow()))
                        : null;
        this.started = true;
    }

    /** How the registry reaches the engine's parts: pools, meters, allowlists, deadlines. */
    private final class EngineBinder implements DeploymentBinder {
        @Override
        public void removed(String id) {
            LogBuffer gone = logs.remove(id);
            if (gone != null) {
                gone.close(); // ends the streams that follow it
            }
        }

        @Override
        public OutboundPolicy policy(RouteSpec spec) {
            return outbound.policy(spec);
        }

        @Override
        public InstancePool pool(GuestModule guest, DeploymentCandidate.Source source) {
            InstancePool pool = new InstancePool(guest, options.poolSize(), memory);
            try {
                // a module that cannot be instantiated (a data segment past its memory) fails here
                if (source == DeploymentCandidate.Source.SETTINGS) {
                    pool.warm(options.poolSize());
                } else {
                    pool.checkInstantiates();
                }
            } catch (RuntimeException | Error e) {
                pool.close();
                throw e;
            }
            return pool;
        }

        @Override
        public Deployment deployment(List<RouteSpec> specs, KvStore kv) {
            Deployment d = Vivarium.deployment(options, specs.get(0), kv);
            specs.forEach(spec -> refuseOtherAdmission(spec, d));
            return d;
        }

        @Override
        public Route route(
                RouteSpec spec, InstancePool pool, Deployment deployment, OutboundPolicy policy) {
            Route route =
                    new Route(
                            spec,
                            pool,
                            deployment,
                            spec.deadline() != null ? spec.deadline() : options.deadline(),
                            policy,
                            new CallContext.Environment(
                                    clock,
                                    random,
                                    deployment.kv(),
                                    dns,
                                    options.maxResponseBodySize(),
                                    memory,
                                    new RouteServices(pool, deployment, policy)));
            metrics.register(route);
            return route;
        }

        @Override
        public void release(InstancePool pool) {
            pool.close();
            metrics.unregister(pool);
        }
    }

    /**
     * A deployment with its shares: admission from the route's {@code maxConcurrent} and {@code
     * maxQueued} (or the global ones), outbound and log budgets from the settings.
     */
    private static Deployment deployment(VivariumOptions options, RouteSpec spec, KvStore kv) {
        IsolationOptions iso = options.isolation();
        return new Deployment(
                spec.id(),
                kv,
                new Admission(
                        spec.id(),
                        spec.maxConcurrent() != null ? spec.maxConcurrent() : iso.maxConcurrent(),
                        spec.maxQueued() != null ? spec.maxQueued() : iso.maxQueued(),
                        iso.queueTimeout()),
                new OutboundQuota(spec.id(), options.outbound().maxConcurrent()),
                new LogBudget(iso.logLinesPerSecond(), iso.logBytesPerSecond()));
    }

    /** Routes of one deployment share its admission limits, so they may not differ. */
    private static void refuseOtherAdmission(RouteSpec spec, Deployment first) {
        Admission a = first.admission();
        if (spec.maxConcurrent() != null && spec.maxConcurrent() != a.maxConcurrent()
                || spec.maxQueued() != null && spec.maxQueued() != a.maxQueued()) {
            throw new ConfigurationException(
                    "route '"
                            + spec
                            + "': routes of deployment "
                            + spec.id()
                            + " share one admission limit (maxConcurrent "
                            + a.maxConcurrent()
                            + ", maxQueued "
                            + a.maxQueued()
                            + "); give maxConcurrent and maxQueued on one of its routes only, or"
                            + " the same on each");
        }
    }

    /** The engine-wide services every deployment shares; closed with the engine. */
    private record Services(
            DnsResolver dns, KvStores kv, OutboundHttp outbound, MemoryBudget memory) {}

    public static Builder builder(VivariumOptions options) {
        return new Builder(options);
    }

    /**
     * Serves one request from a server adapter, the whole of it: routes it (the admin API's path on
     * any host first, then the routes), reads its body up to {@code maxRequestBodySize} (413 past
     * it, on the Content-Length before reading when there is one), runs the guest or the admin API,
     * writes the response and gives its memory back once the write is over.
     *
     * @return false, having touched nothing, when no route takes the request: the adapter passes it
     *     on (down the filter chain, to the wrapped handler)
     * @throws IOException when the exchange itself fails (reading, writing): the adapter lets its
     *     server fail the request
     */
    public boolean serve(ServerExchange exchange) throws IOException {
        String path = exchange.pathInContext();
        if (options.healthEnabled() && path.equals(options.healthPath())) {
            serveHealth(exchange);
            return true;
        }
        if (admin != null && admin.matches(path)) {
            new ExchangeRun(this, exchange, null, admin).start();
            return true;
        }
        Route route = route(exchange.host(), path);
        if (route == null) {
            return false;
        }
        Assets assets = registry.assets(route.deployment().id());
        if (assets != null && StaticAssets.serve(exchange, route.spec(), path, assets)) {
            return true;
        }
        new ExchangeRun(this, exchange, route, admin).start();
        return true;
    }

    /** Answers {@code health.path}: the {@link Health} as JSON, 200 or 503; GET and HEAD only. */
    private void serveHealth(ServerExchange exchange) throws IOException {
        String method = exchange.method();
        boolean head = method.equals("HEAD");
        exchange.setHeader("content-type", "application/json");
        exchange.setHeader("cache-control", "no-store");
        if (!head && !method.equals("GET")) {
            exchange.setStatus(405);
            exchange.setHeader("allow", "GET, HEAD");
            exchange.write(
                    "{\"error\":\"method not allowed; allowed: GET, HEAD\"}"
                            .getBytes(StandardCharsets.UTF_8),
                    () -> {});
            return;
        }
        Health health = health();
        exchange.setStatus(health.httpStatus());
        exchange.write(
                head ? new byte[0] : health.toJson().getBytes(StandardCharsets.UTF_8), () -> {});
    }

    /**
     * Liveness and readiness: the engine started and not closed, deployments loaded, the KV backend
     * reachable, the watchdog running, the expiry jobs scheduled. What {@code health.path} answers.
     */
    public Health health() {
        Map<String, Health.Check> checks = new LinkedHashMap<>();
        checks.put(
                "engine",
                new Health.Check(
                        started && !closed, closed ? "closed" : started ? "started" : "starting"));
        int deployments = registry.list().size();
        checks.put(
                "deployments",
                new Health.Check(
                        started && !closed,
                        deployments + " deployments, " + registry.routeCount() + " routes"));
        KvHealth kv = kvStores.health();
        checks.put(
                "kv",
                new Health.Check(
                        kv.reachable(),
                        kvStores.backendName()
                                + (kv.reachable() ? " reachable: " : " unreachable: ")
                                + kv.detail()));
        boolean watchdog = dispatcher.watchdogAlive();
        checks.put(
                "watchdog",
                new Health.Check(
                        watchdog,
                        watchdog
                                ? "running"
                                : "stopped: guests are not stopped at their deadline"));
        boolean deploymentsExpiry = registry.expiryAlive();
        boolean kvExpiry = kvStores.expiryAlive();
        checks.put(
                "expiry",
                new Health.Check(
                        deploymentsExpiry && kvExpiry,
                        "deployments expiry "
                                + (deploymentsExpiry ? "scheduled" : "stopped")
                                + ", KV expiry "
                                + (kvExpiry ? "scheduled" : "stopped")));
        return new Health(checks);
    }

    /** The route that replaced {@code old} (a new version of its deployment), or null. */
    private Route successor(Route old) {
        return registry.successor(old);
    }

    /** The route that takes a request for this host and path, or null: let it pass. */
    public Route route(String host, String path) {
        return registry.match(host, path);
    }

    /**
     * Runs the route's guest for one request; never throws for guest faults. What its bodies
     * counted in {@code maxTotalMemory} is given back before it returns; adapters that write the
     * response afterwards use {@link #handleUntilReleased}.
     */
    public Outcome handle(Route route, GuestRequest request) {
        Outcome outcome = handleUntilReleased(route, request);
        outcome.release();
        return outcome;
    }

    /**
     * As {@link #handle}, but the request's and the response's bodies stay counted in {@code
     * maxTotalMemory} until the caller calls {@link Outcome#release()}, which it must, once the
     * response is written or has failed: a body waiting for a slow client is memory held too.
     */
    public Outcome handleUntilReleased(Route route, GuestRequest request) {
        return handleUntilReleased(route, request, () -> false);
    }

    /**
     * As {@link #handleUntilReleased(Route, GuestRequest)}, for adapters that can tell whether the
     * client is still connected: a request whose client is gone before its guest starts (it may
     * have waited for its deployment to have room) is dropped without running it, with an outcome
     * of kind {@link Outcome.Kind#CLIENT_GONE}.
     */
    public Outcome handleUntilReleased(
            Route route, GuestRequest request, BooleanSupplier clientGone) {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(clientGone, "clientGone");
        if (request.body().length > options.maxRequestBodySize()) {
            return requestTooLarge(options.maxRequestBodySize());
        }
        int hops = Hops.count(request.headers());
        if (hops > options.outbound().maxHops()) {
            REFUSALS.info(
                    "refused {} {} from {}: it passed through {} Vivarium guests already, more"
                            + " than outbound.maxHops ({})",
                    request.method(),
                    Clip.clip(request.path(), GuestLog.MAX_PATH),
                    request.clientAddress(),
                    hops,
                    options.outbound().maxHops());
            return Outcome.failure(
                    Outcome.Kind.LOOP,
                    508,
                    "loop detected: this request already passed through "
                            + hops
                            + " Vivarium guests (CDN-Loop), more than outbound.maxHops ("
                            + options.outbound().maxHops()
                            + ")");
        }
        request.headers().set("fastly-client-ip", request.clientAddress());
        Outcome outcome = dispatcher.dispatch(route, request, clientGone);
        switch (outcome.kind()) {
            case PANIC, TRAP, DEADLINE, LIMIT ->
                    logs(route.deployment().id())
                            .add(
                                    "fault",
                                    outcome.kind().name().toLowerCase(java.util.Locale.ROOT)
                                            + " "
                                            + outcome.status()
                                            + " "
                                            + Clip.clip(request.path(), GuestLog.MAX_PATH)
                                            + ": "
                                            + outcome.message());
            default -> {}
        }
        return outcome;
    }

    /**
     * The buffer of deployment {@code id}'s guest output and faults ({@code guestLog.bufferLines}
     * entries), what the admin API's {@code /deployments/ID/logs} serves; it outlives a replacement
     * of the deployment.
     */
    public LogBuffer logs(String id) {
        return logs.computeIfAbsent(
                id,
                k ->
                        new LogBuffer(
                                options.logBufferLines(),
                                clock,
                                logSink == null
                                        ? null
                                        : e -> logSink.line(id, e.stream(), e.text())));
    }

    /** The numbers of every deployment, as the admin API's {@code /stats} answers them. */
    public AdminStats adminStats() {
        List<String> ids = registry.list().stream().map(DeploymentInfo::id).toList();
        return AdminStats.read(
                clock.instant(),
                metrics.registry(),
                ids,
                id -> {
                    LatencyHistogram h = metrics.latency(id);
                    return h == null ? null : h.cumulative();
                },
                id -> {
                    try {
                        return kvStores.stats(id);
                    } catch (RuntimeException none) {
                        return null; // no store (its guest never used one), or it is down
                    }
                },
                logs::get);
    }

    /** The 413 outcome for a guest's request whose body passes {@code max} bytes. */
    static Outcome requestTooLarge(long max) {
        return Outcome.failure(
                Outcome.Kind.REQUEST_TOO_LARGE,
                413,
                "request body exceeds maxRequestBodySize (" + max + " bytes)");
    }

    private CallContext context(Route route, GuestRequest request) {
        return CallContext.of(
                route.guestName(),
                request,
                route.environment(),
                System.nanoTime() + route.deadline().toNanos());
    }

    /** What a route's requests open on first use: the guest's log and an outbound session. */
    private final class RouteServices implements CallContext.Services {
        private final InstancePool pool;
        private final Deployment deployment;
        private final OutboundPolicy policy;

        RouteServices(InstancePool pool, Deployment deployment, OutboundPolicy policy) {
            this.pool = pool;
            this.deployment = deployment;
            this.policy = policy;
        }

        @Override
        public GuestLog guestLog(CallContext ctx) {
            IsolationOptions iso = options.isolation();
            return new GuestLog(
                    LoggerFactory.getLogger("vivarium.guest." + deployment.id()),
                    pool.guest().name(),
                    ctx.request().path(),
                    iso.logLines(),
                    iso.logBytes(),
                    deployment.log(),
                    logs(deployment.id()));
        }

        @Override
        public OutboundSession outbound(CallContext ctx) {
            return outbound.openSession(
                    pool.guest().name(),
                    policy,
                    ctx.deadlineNanos(),
                    memory,
                    deployment.outbound(),
                    Hops.next(ctx.request().headers()));
        }
    }

    /**
     * Deployments uploaded at run time: upload, replace, remove, list (the admin API's operations,
     * for Java code that wants its own endpoint or none).
     */
    public Uploads uploads() {
        return uploads;
    }

    /**
     * What reloads changed guest files ({@code guestDirectory.watch}), or null when they are not
     * watched.
     */
    public GuestWatcher guestWatcher() {
        return guestWatcher;
    }

    /** Every deployment, configured and uploaded, and the route table requests are matched in. */
    public DeploymentRegistry deployments() {
        return registry;
    }

    /** The key-value stores of all deployments, for operators (inspect, clear). */
    public KvStores kvStores() {
        return kvStores;
    }

    /**
     * Whether this engine keeps data in {@link #dataDirectory()} that should outlive a restart: a
     * deployment's KV store, or deployments uploaded through the admin API. An adapter warns when
     * that directory is a default that its container may delete.
     */
    public boolean keepsData() {
        return !kvStores.deployments().isEmpty() || options.uploads().adminEnabled();
    }

    /** Where KV stores and uploaded deployments are kept (setting {@code kv.directory}). */
    public Path dataDirectory() {
        return options.kv().directory();
    }

    public VivariumOptions options() {
        return options;
    }

    /** Every route, most specific first (the order requests are matched in). */
    public List<Route> routes() {
        return registry.routes();
    }

    /**
     * Every route as its spec ({@code /hello -> hello.wasm; deadline=2s}), most specific first:
     * what an adapter shows an operator without knowing the engine's types.
     */
    public List<String> routeSpecs() {
        return routes().stream().map(r -> r.spec().toString()).toList();
    }

    /** The pools of the configured guests, then those of the uploaded ones. */
    public List<InstancePool> pools() {
        return registry.pools();
    }

    /**
     * The bytes of memory held for guests now (instances' memory, idle ones included, and running
     * requests' bodies), at most {@code maxTotalMemory}.
     */
    public long memoryUsed() {
        return memory.used();
    }

    public MeterRegistry meterRegistry() {
        return metrics.registry();
    }

    /**
     * The one line every adapter logs when the engine has started: the routes, the deployments, the
     * admin API and health paths, the KV backend and the deployment store, e.g. {@code Vivarium
     * started: routes [/hello -> hello.wasm]; 1 deployment (0 uploaded); admin API at /_vivarium;
     * health at /__health; KV backend mapdb in /var/kv; uploads in file /var/kv/.uploads}.
     */
    public String startupLine() {
        List<RouteSpec> specs = registry.specs();
        int deployments = registry.list().size();
        StringBuilder sb = new StringBuilder("Vivarium started: routes ");
        sb.append(specs.isEmpty() ? "none" : specs.toString());
        sb.append("; ")
                .append(deployments)
                .append(deployments == 1 ? " deployment (" : " deployments (")
                .append(registry.countUploaded())
                .append(" uploaded); ");
        sb.append(
                options.uploads().adminEnabled()
                        ? "admin API at " + options.uploads().adminPath()
                        : "admin API off (no admin.token)");
        sb.append(options.healthEnabled() ? "; health at " + options.healthPath() : "; health off");
        sb.append("; KV backend ").append(kvStores.backendName());
        if ("mapdb".equals(kvStores.backendName())) {
            sb.append(" in ").append(options.kv().directory());
        }
        if (options.uploads().adminEnabled()) {
            String store = options.uploads().store();
            sb.append("; uploads in ").append(store);
            if ("file".equals(store)) {
                sb.append(' ').append(options.uploads().directory());
            }
        }
        return sb.toString();
    }

    /** Routes and pool state, for {@code dump()} and logs. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (RouteSpec s : registry.specs()) {
            sb.append("route ").append(s).append('\n');
        }
        if (admin != null) {
            sb.append("admin API at ").append(options.uploads().adminPath()).append('\n');
        }
        for (InstancePool p : pools()) {
            sb.append(p).append('\n');
        }
        sb.append(memory).append('\n');
        return sb.toString();
    }

    @Override
    public void close() {
        closed = true;
        if (guestWatcher != null) {
            guestWatcher.close();
        }
        uploads.close();
        registry.close();
        dispatcher.close();
        outbound.close();
        kvStores.close();
        metrics.close();
        logs.values().forEach(LogBuffer::close);
    }

    /** Builds an engine from options plus the injectable services. */
    public static final class Builder {
        private final VivariumOptions options;
        private Clock clock = Clock.systemUTC();
        private RandomGenerator random = new java.security.SecureRandom();
        private MeterRegistry meterRegistry;
        private DnsResolver dns;
        private Executor uploadExecutor;
        private DeploymentRepository repository;
        private LogSink logSink;

        private Builder(VivariumOptions options) {
            this.options = Objects.requireNonNull(options, "options");
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random);
            return this;
        }

        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        /** Replaces the resolver that {@code dns.*} settings describe (tests: a local one). */
        public Builder dnsResolver(DnsResolver dns) {
            this.dns = dns;
            return this;
        }

        /**
         * Where uploaded modules are parsed, compiled and instantiated (at most {@code
         * deployments.maxConcurrentUploads} at once whatever the executor); default: that many
         * threads of the engine's own.
         */
        public Builder uploadExecutor(Executor executor) {
            this.uploadExecutor = executor;
            return this;
        }

        /**
         * Where uploaded deployments are kept (closed with the engine); default: files in {@code
         * deployments.directory}.
         */
        public Builder deploymentRepository(DeploymentRepository repository) {
            this.repository = repository;
            return this;
        }

        /**
         * Also gives every guest output line and fault that a deployment's log buffer records (what
         * the admin API's logs serve) to {@code sink}, besides SLF4J: the servlet filter copies
         * them to the container's log when the webapp has no SLF4J provider.
         */
        public Builder logSink(LogSink sink) {
            this.logSink = sink;
            return this;
        }

        /**
         * Loads and compiles every routed guest and warms its pool.
         *
         * @throws ConfigurationException naming the route and the problem
         */
        public Vivarium start() {
            if (options.routes().isEmpty() && !options.uploads().adminEnabled()) {
                throw new ConfigurationException(
                        "Vivarium setting 'routes' is empty: give at least one 'MATCH -> GUEST' route, e.g. '/hello -> hello.wasm' (or set admin.token to upload deployments at run time)");
            }
            CompiledClassCache.installFor(
                    options.compileCacheDirectory(), options.compileCacheMaxSize());
            // guests first: a bad route fails before anything is opened
            List<DeploymentCandidate> configured =
                    ConfiguredDeployments.load(
                            options.routes(),
                            options.uploads(),
                            options.guestDirectory(),
                            options.guestLimits());
            EngineMetrics metrics =
                    new EngineMetrics(
                            meterRegistry != null ? meterRegistry : new SimpleMeterRegistry());
            MemoryBudget memory = new MemoryBudget(options.maxTotalMemory());
            metrics.register(memory);
            KvStores kv;
            try {
                kv = KvStores.open(options.kv(), clock, metrics.registry());
            } catch (RuntimeException e) {
                metrics.close();
                throw e;
            }
            // the stores open meanwhile, on a thread of their own
            java.util.concurrent.CompletableFuture<Void> stores =
                    ConfiguredDeployments.openStoresEarly(configured, kv);
            OutboundHttp http = null;
            try {
                DnsResolver resolver = dns != null ? dns : options.dns().createResolver();
                http = OutboundHttp.start(options.outbound(), resolver);
                metrics.register(http);
                return new Vivarium(
                        this, configured, metrics, new Services(resolver, kv, http, memory));
            } catch (RuntimeException e) {
                // a route's allowlist or a store failed: release what was opened for them
                stores.join();
                metrics.close();
                if (http != null) {
                    http.close();
                }
                kv.close();
                throw e;
            }
        }
    }
}
