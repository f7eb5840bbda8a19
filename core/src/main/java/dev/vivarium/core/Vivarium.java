package dev.vivarium.core;

import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.IsolationOptions;
import dev.vivarium.core.config.RouteSpec;
import dev.vivarium.core.config.RouteTable;
import dev.vivarium.core.config.VivariumOptions;
import dev.vivarium.core.deploy.AdminApi;
import dev.vivarium.core.deploy.DeploymentInfo;
import dev.vivarium.core.deploy.Uploads;
import dev.vivarium.core.dns.DnsResolver;
import dev.vivarium.core.engine.Admission;
import dev.vivarium.core.engine.Deployment;
import dev.vivarium.core.engine.Dispatcher;
import dev.vivarium.core.engine.EngineMetrics;
import dev.vivarium.core.engine.GuestLoadException;
import dev.vivarium.core.engine.GuestLoader;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.engine.InstancePool;
import dev.vivarium.core.engine.JvmCheck;
import dev.vivarium.core.engine.MemoryBudget;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.log.Clip;
import dev.vivarium.core.log.GuestLog;
import dev.vivarium.core.log.LogBudget;
import dev.vivarium.core.log.RefusalLog;
import dev.vivarium.core.outbound.Hops;
import dev.vivarium.core.outbound.OutboundHttp;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.outbound.OutboundQuota;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.LoggerFactory;

/**
 * The engine: loads and compiles every routed guest at start, matches requests to routes and runs
 * them. Adapters (the servlet filter, the Jetty handler) translate their requests to {@link
 * GuestRequest} and write back the {@link Outcome}.
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
    private final Map<RouteSpec, Route> configured;
    private volatile RouteTable<Route> routes;
    private final List<InstancePool> pools;
    private final Dispatcher dispatcher;
    private final EngineMetrics metrics;
    private final Clock clock;
    private final RandomGenerator random;
    private final DnsResolver dns;
    private final KvStores kvStores;
    private final OutboundHttp outbound;
    private final MemoryBudget memory;
    private final Uploads uploads;
    private final AdminApi admin;
    private final Route adminRoute;

    private Vivarium(
            Builder b,
            RouteTable<Route> routes,
            List<InstancePool> pools,
            EngineMetrics metrics,
            Services services) {
        this.options = b.options;
        this.routes = routes;
        Map<RouteSpec, Route> byspec = new LinkedHashMap<>();
        for (Route r : routes.targets()) {
            byspec.put(r.spec(), r);
        }
        this.configured = Collections.unmodifiableMap(byspec);
        this.pools = List.copyOf(pools);
        this.metrics = metrics;
        this.clock = b.clock;
        this.random = b.random;
        this.dns = services.dns;
        this.kvStores = services.kv;
        this.outbound = services.outbound;
        this.memory = services.memory;
        this.dispatcher = new Dispatcher(this::context, metrics);
        Set<String> configuredIds = new HashSet<>();
        configured.keySet().forEach(spec -> configuredIds.add(spec.id()));
        // last: restoring kept uploads publishes routes
        this.uploads =
                new Uploads(
                        options.uploads(),
                        options.guestLimits(),
                        configuredIds,
                        kvStores,
                        clock,
                        new UploadHooks());
        metrics.gauge(
                "vivarium.deployments.uploaded",
                "deployments uploaded at run time",
                null,
                uploads,
                Uploads::count);
        if (options.uploads().adminEnabled()) {
            this.admin = new AdminApi(uploads, configuredDeployments());
            String path = options.uploads().adminPath();
            this.adminRoute =
                    new Route(
                            new RouteSpec(
                                    path + "/*",
                                    null,
                                    path + "/*",
                                    "vivarium-admin",
                                    "vivarium-admin",
                                    null,
                                    List.of()),
                            null,
                            new Deployment("vivarium-admin", null),
                            options.deadline(),
                            OutboundPolicy.parse(path, List.of(), "admin"));
        } else {
            this.admin = null;
            this.adminRoute = null;
        }
    }

    /** How {@link Uploads} reaches the engine's parts. */
    private final class UploadHooks implements Uploads.Engine {
        @Override
        public void check(List<RouteSpec> uploaded) {
            uploaded.forEach(spec -> refuseAdminPath(options, spec));
            List<RouteSpec> all = new ArrayList<>(configured.keySet());
            all.addAll(uploaded);
            new RouteTable<>(all, spec -> spec);
        }

        @Override
        public Route bind(RouteSpec spec, GuestModule guest, KvStore kv) {
            // first what can refuse the upload, so a refused one leaves no pool behind
            OutboundPolicy policy = outbound.policy(spec);
            InstancePool pool = new InstancePool(guest, options.poolSize(), memory);
            try {
                // a module that cannot be instantiated (a data segment past its memory) fails here
                pool.warm(options.poolSize());
            } catch (RuntimeException | Error e) {
                pool.close();
                throw e;
            }
            metrics.register(pool);
            return new Route(
                    spec,
                    pool,
                    deployment(options, spec, kv),
                    spec.deadline() != null ? spec.deadline() : options.deadline(),
                    policy);
        }

        @Override
        public void publish(List<Route> uploaded) {
            Map<RouteSpec, Route> all = new LinkedHashMap<>(configured);
            uploaded.forEach(r -> all.put(r.spec(), r));
            routes = new RouteTable<>(new ArrayList<>(all.keySet()), all::get);
        }

        @Override
        public void retire(Route route) {
            route.pool().close();
            metrics.unregister(route.pool());
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

    /** The admin API takes every request under its path, so no route may be there. */
    private static void refuseAdminPath(VivariumOptions options, RouteSpec spec) {
        if (options.uploads().isAdminPath(spec.path())) {
            throw new ConfigurationException(
                    "route '"
                            + spec
                            + "' is under the admin API's path "
                            + options.uploads().adminPath()
                            + ", which takes every request there: move the route or set"
                            + " admin.path");
        }
    }

    private List<DeploymentInfo> configuredDeployments() {
        List<DeploymentInfo> out = new ArrayList<>();
        for (Route r : configured.values()) {
            out.add(
                    new DeploymentInfo(
                            r.deployment().id(),
                            r.spec().toString(),
                            false,
                            null,
                            null,
                            r.pool().guest().size(),
                            r.deployment().kv() != null));
        }
        return out;
    }

    /** The engine-wide services every deployment shares; closed with the engine. */
    private record Services(
            DnsResolver dns, KvStores kv, OutboundHttp outbound, MemoryBudget memory) {}

    public static Builder builder(VivariumOptions options) {
        return new Builder(options);
    }

    /**
     * The route that takes a request for this host and path, or null: let it pass. With {@code
     * admin.token} set, paths under {@code admin.path} go to the admin API, on any host.
     */
    public Route route(String host, String path) {
        if (admin != null && admin.matches(path)) {
            return adminRoute;
        }
        return routes.match(host, path);
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
            return requestTooLarge(route);
        }
        if (route.isAdmin()) {
            return admin.handle(request);
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
        request.headers().set("fastly-client-ip", List.of(request.clientAddress()));
        return dispatcher.dispatch(route, request, clientGone);
    }

    /**
     * The 413 outcome for a request to {@code route}, for adapters that stop reading a body once it
     * passes the limit: the admin API's is a JSON response, like its other errors.
     */
    public Outcome requestTooLarge(Route route) {
        if (route.isAdmin()) {
            return admin.tooLarge(options.maxRequestBodySize());
        }
        return Outcome.failure(
                Outcome.Kind.REQUEST_TOO_LARGE,
                413,
                "request body exceeds maxRequestBodySize ("
                        + options.maxRequestBodySize()
                        + " bytes)");
    }

    private CallContext context(Route route, GuestRequest request) {
        long deadlineNanos = System.nanoTime() + route.deadline().toNanos();
        Deployment d = route.deployment();
        IsolationOptions iso = options.isolation();
        return CallContext.builder(route.guestName(), request)
                .guestLog(
                        new GuestLog(
                                LoggerFactory.getLogger("vivarium.guest." + route.guestName()),
                                route.guestName(),
                                request.path(),
                                iso.logLines(),
                                iso.logBytes(),
                                d.log()))
                .clock(clock)
                .random(random)
                .kv(route.deployment().kv())
                .dns(dns)
                .outbound(
                        () ->
                                outbound.openSession(
                                        route.guestName(),
                                        route.outbound(),
                                        deadlineNanos,
                                        memory,
                                        d.outbound(),
                                        Hops.next(request.headers())))
                .deadlineNanos(deadlineNanos)
                .maxResponseBodySize(options.maxResponseBodySize())
                .hostBuffers(memory)
                .build();
    }

    /**
     * Deployments uploaded at run time: upload, replace, remove, list (the admin API's operations,
     * for Java code that wants its own endpoint or none).
     */
    public Uploads uploads() {
        return uploads;
    }

    /** The key-value stores of all deployments, for operators (inspect, clear). */
    public KvStores kvStores() {
        return kvStores;
    }

    public VivariumOptions options() {
        return options;
    }

    /** Every route, most specific first (the order requests are matched in). */
    public List<Route> routes() {
        return routes.targets();
    }

    /** The pools of the configured guests, then those of the uploaded ones. */
    public List<InstancePool> pools() {
        List<InstancePool> all = new ArrayList<>(pools);
        uploads.routes().forEach(r -> all.add(r.pool()));
        return all;
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

    /** Routes and pool state, for {@code dump()} and logs. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (RouteSpec s : routes.specs()) {
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
        uploads.close();
        dispatcher.close();
        pools.forEach(
                p -> {
                    p.close();
                    metrics.unregister(p);
                });
        outbound.close();
        kvStores.close();
        metrics.close();
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

    /** Builds an engine from options plus the injectable services. */
    public static final class Builder {
        private final VivariumOptions options;
        private Clock clock = Clock.systemUTC();
        private RandomGenerator random = new java.security.SecureRandom();
        private MeterRegistry meterRegistry;
        private DnsResolver dns;

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
         * Loads and compiles every routed guest and warms its pool.
         *
         * @throws ConfigurationException naming the route and the problem
         */
        public Vivarium start() {
            if (options.routes().isEmpty() && !options.uploads().adminEnabled()) {
                throw new ConfigurationException(
                        "Vivarium setting 'routes' is empty: give at least one 'MATCH -> GUEST' route, e.g. '/hello -> hello.wasm' (or set admin.token to upload deployments at run time)");
            }
            options.routes().forEach(spec -> refuseAdminPath(options, spec));
            // guests first: a bad route fails before anything is opened
            Map<Path, GuestModule> guests = loadGuests();
            JvmCheck.warnIfHugeMethodsStayInterpreted();
            EngineMetrics metrics =
                    new EngineMetrics(
                            meterRegistry != null ? meterRegistry : new SimpleMeterRegistry());
            MemoryBudget memory = new MemoryBudget(options.maxTotalMemory());
            metrics.register(memory);
            DnsResolver resolver = dns != null ? dns : options.dns().createResolver();
            OutboundHttp http = OutboundHttp.start(options.outbound(), resolver);
            KvStores kv = null;
            try {
                kv = KvStores.open(options.kv(), clock, metrics.registry());
                Map<String, Deployment> deployments = openDeployments(guests, kv);
                Map<Path, InstancePool> pools = new LinkedHashMap<>();
                guests.forEach(
                        (file, guest) -> {
                            InstancePool pool = new InstancePool(guest, options.poolSize(), memory);
                            pool.warm(options.poolSize());
                            metrics.register(pool);
                            pools.put(file, pool);
                        });
                RouteTable<Route> table =
                        new RouteTable<>(
                                options.routes(),
                                spec ->
                                        new Route(
                                                spec,
                                                pools.get(guestFile(spec)),
                                                deployments.get(spec.id()),
                                                spec.deadline() != null
                                                        ? spec.deadline()
                                                        : options.deadline(),
                                                http.policy(spec)));
                return new Vivarium(
                        this,
                        table,
                        new ArrayList<>(pools.values()),
                        metrics,
                        new Services(resolver, kv, http, memory));
            } catch (RuntimeException e) {
                // a route's allowlist or a store failed: release what was opened for them
                metrics.close();
                http.close();
                if (kv != null) {
                    kv.close();
                }
                throw e;
            }
        }

        private Path guestFile(RouteSpec spec) {
            return options.guestDirectory().resolve(spec.guest()).normalize();
        }

        /** Loads and compiles each routed guest file once, however many routes name it. */
        private Map<Path, GuestModule> loadGuests() {
            Map<Path, GuestModule> guests = new LinkedHashMap<>();
            for (RouteSpec spec : options.routes()) {
                Path file = guestFile(spec);
                if (!guests.containsKey(file)) {
                    try {
                        guests.put(file, GuestLoader.load(file, options.guestLimits()));
                    } catch (GuestLoadException e) {
                        throw new ConfigurationException(
                                "route '" + spec + "': " + e.getMessage(), e);
                    }
                }
            }
            return guests;
        }

        /**
         * One deployment per route id. Only deployments whose guests import KV hostcalls get a
         * store (and files).
         */
        private Map<String, Deployment> openDeployments(
                Map<Path, GuestModule> guests, KvStores kv) {
            Set<String> kvUsers = new HashSet<>();
            for (RouteSpec spec : options.routes()) {
                if (guests.get(guestFile(spec)).usesKv()) {
                    kvUsers.add(spec.id());
                }
            }
            Map<String, Deployment> deployments = new LinkedHashMap<>();
            try {
                for (RouteSpec spec : options.routes()) {
                    Deployment first = deployments.get(spec.id());
                    if (first == null) {
                        deployments.put(
                                spec.id(),
                                deployment(
                                        options,
                                        spec,
                                        kvUsers.contains(spec.id())
                                                ? kv.permanentStore(spec.id())
                                                : null));
                    } else {
                        refuseOtherAdmission(spec, first);
                    }
                }
            } catch (ConfigurationException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ConfigurationException(
                        "Vivarium setting 'kv.directory': cannot open the stores in "
                                + options.kv().directory().toAbsolutePath()
                                + ": "
                                + e.getMessage(),
                        e);
            }
            return deployments;
        }
    }
}
