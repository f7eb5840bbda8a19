package dev.vivarium.core;

import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.RouteSpec;
import dev.vivarium.core.config.RouteTable;
import dev.vivarium.core.config.VivariumOptions;
import dev.vivarium.core.deploy.AdminApi;
import dev.vivarium.core.deploy.DeploymentInfo;
import dev.vivarium.core.deploy.Uploads;
import dev.vivarium.core.dns.DnsResolver;
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
import dev.vivarium.core.http.ServerExchange;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.outbound.OutboundHttp;
import dev.vivarium.core.outbound.OutboundPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
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
import java.util.random.RandomGenerator;

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
                        options.maxMemoryPages(),
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
        this.admin =
                options.uploads().adminEnabled()
                        ? new AdminApi(uploads, configuredDeployments())
                        : null;
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
                    new Deployment(spec.id(), kv),
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
        if (admin != null && admin.matches(path)) {
            new ExchangeRun(this, exchange, null, admin).start();
            return true;
        }
        Route route = route(exchange.host(), path);
        if (route == null) {
            return false;
        }
        new ExchangeRun(this, exchange, route, admin).start();
        return true;
    }

    /** The route that takes a request for this host and path, or null: let it pass. */
    public Route route(String host, String path) {
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
        Objects.requireNonNull(route, "route");
        if (request.body().length > options.maxRequestBodySize()) {
            return requestTooLarge(options.maxRequestBodySize());
        }
        request.headers().set("fastly-client-ip", List.of(request.clientAddress()));
        return dispatcher.dispatch(route, request);
    }

    /** The 413 outcome for a guest's request whose body passes {@code max} bytes. */
    static Outcome requestTooLarge(long max) {
        return Outcome.failure(
                Outcome.Kind.REQUEST_TOO_LARGE,
                413,
                "request body exceeds maxRequestBodySize (" + max + " bytes)");
    }

    private CallContext context(Route route, GuestRequest request) {
        long deadlineNanos = System.nanoTime() + route.deadline().toNanos();
        return CallContext.builder(route.guestName(), request)
                .clock(clock)
                .random(random)
                .kv(route.deployment().kv())
                .dns(dns)
                .outbound(
                        () ->
                                outbound.openSession(
                                        route.guestName(), route.outbound(), deadlineNanos, memory))
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
                        guests.put(file, GuestLoader.load(file, options.maxMemoryPages()));
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
                    deployments.computeIfAbsent(
                            spec.id(),
                            id ->
                                    new Deployment(
                                            id,
                                            kvUsers.contains(id) ? kv.permanentStore(id) : null));
                }
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
