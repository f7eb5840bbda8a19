package dev.vivarium.core.engine;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.outbound.OutboundHttp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Micrometer meters of the engine, named in Micrometer's dotted style so that a Prometheus registry
 * renders them by its conventions (the full table, with the Prometheus names, is {@code
 * docs/metrics.md}):
 *
 * <ul>
 *   <li>per deployment (tag {@code deployment}, the deployment id): the counter {@value #REQUESTS}
 *       (tag {@code outcome}: {@link Outcome.Kind} in lower case) and the timer of the same name
 *       (with a percentile histogram), the gauge {@value #POOL_INSTANCES} (tag {@code state}: idle,
 *       in_use) and the counters {@value #POOL_BUILT} and {@value #POOL_DISCARDED};
 *   <li>engine-wide: {@code vivarium.memory.used} and {@code vivarium.memory.max} (bytes of guest
 *       memory, see {@link MemoryBudget}), the counter {@value #OUTBOUND} (tag {@code result}, see
 *       {@link OutboundHttp.Result}) and the gauges registered through {@link #gauge}.
 * </ul>
 *
 * <p>Tags are bounded: a deployment id (configured, or checked at upload), an outcome kind, a pool
 * state; never a path, a header or anything else a client or a guest chooses.
 *
 * <p>A deployment's meters exist while a route of it is registered: the pool gauges read the live
 * pools of its routes (two while an upload is being replaced), the pool counters go on across
 * versions (the counts of a retired pool are kept), and when its last route is unregistered (the
 * deployment was removed) all its meters are removed, so deployments that come and go do not
 * accumulate meters. Meters are looked up once per deployment, not per request. A guest file that
 * routes of two deployment ids name has one pool, which both deployments' gauges read.
 */
public final class EngineMetrics {
    /** Counter (tags deployment, outcome) and timer (tag deployment) of guest requests. */
    public static final String REQUESTS = "vivarium.requests";

    /** Gauge of pooled instances, tags deployment and state (idle, in_use). */
    public static final String POOL_INSTANCES = "vivarium.pool.instances";

    /** Counter of instances built, tag deployment. */
    public static final String POOL_BUILT = "vivarium.pool.instances.built";

    /** Counter of instances thrown away (after a fault, or dropped for memory), tag deployment. */
    public static final String POOL_DISCARDED = "vivarium.pool.instances.discarded";

    /** Counter of guests' outbound HTTP requests, tag result (ok, refused, failed). */
    public static final String OUTBOUND = "vivarium.outbound.requests";

    private final MeterRegistry registry;
    private final Map<String, DeploymentMeters> byDeployment = new ConcurrentHashMap<>();
    private final List<Meter> engineMeters = new CopyOnWriteArrayList<>();

    /** The deployments whose routes use each registered pool, so releasing one visits only them. */
    private final Map<InstancePool, Set<String>> deploymentsOf =
            Collections.synchronizedMap(new IdentityHashMap<>());

    public EngineMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Registers the memory gauges of the engine's budget. */
    public void register(MemoryBudget budget) {
        gauge(
                "vivarium.memory.used",
                "memory held for guests: instances (idle ones included) and running requests' bodies",
                "bytes",
                budget,
                MemoryBudget::used);
        gauge(
                "vivarium.memory.max",
                "memory that may be held for guests (maxTotalMemory)",
                "bytes",
                budget,
                MemoryBudget::limit);
    }

    /** Registers an engine-wide gauge, removed by {@link #close()}; {@code unit} may be null. */
    public <T> void gauge(
            String name, String description, String unit, T state, ToDoubleFunction<T> value) {
        engineMeters.add(
                Gauge.builder(name, state, value)
                        .description(description)
                        .baseUnit(unit)
                        .register(registry));
    }

    /** Registers the counter {@value #OUTBOUND} of the engine's outbound requests, by result. */
    public void register(OutboundHttp outbound) {
        for (OutboundHttp.Result r : OutboundHttp.Result.values()) {
            engineMeters.add(
                    FunctionCounter.builder(OUTBOUND, outbound, o -> o.count(r))
                            .tag("result", r.tag())
                            .description("outbound HTTP requests of the guests, by result")
                            .register(registry));
        }
    }

    /** Removes every meter of the engine: the engine-wide ones and those of each deployment. */
    public void close() {
        engineMeters.forEach(registry::remove);
        engineMeters.clear();
        deploymentsOf.clear();
        for (String id : List.copyOf(byDeployment.keySet())) {
            DeploymentMeters m = byDeployment.remove(id);
            if (m != null) {
                m.meters.forEach(registry::remove);
            }
        }
    }

    /**
     * Counts a route (and its pool) in its deployment's meters, creating them with the deployment's
     * first route; {@link #unregister(InstancePool)} undoes it when the pool is released.
     */
    public void register(Route route) {
        deploymentsOf
                .computeIfAbsent(route.pool(), p -> ConcurrentHashMap.newKeySet())
                .add(route.deployment().id());
        byDeployment.compute(
                route.deployment().id(),
                (id, m) -> {
                    DeploymentMeters meters = m != null ? m : new DeploymentMeters(id);
                    meters.routes.add(route);
                    return meters;
                });
    }

    /**
     * Stops counting a pool (it was released: its deployment was removed or replaced) in every
     * deployment whose routes used it; the counts it made are kept. With the last route of a
     * deployment, that deployment's meters are removed from the registry.
     */
    public void unregister(InstancePool pool) {
        Set<String> ids = deploymentsOf.remove(pool);
        if (ids == null) {
            return; // never registered (its upload was refused), or unregistered already
        }
        for (String id : ids) {
            byDeployment.computeIfPresent(
                    id,
                    (key, m) -> {
                        if (!m.remove(pool)) {
                            return m;
                        }
                        if (!m.routes.isEmpty()) {
                            m.retiredCreated.add(pool.created());
                            m.retiredDiscarded.add(pool.discarded());
                            return m;
                        }
                        m.meters.forEach(registry::remove);
                        return null;
                    });
        }
    }

    void record(Route route, Outcome outcome, long nanos) {
        DeploymentMeters m = byDeployment.get(route.deployment().id());
        if (m == null) {
            // the request ran while its deployment was removed, and the meters went with it
            return;
        }
        m.outcomes.get(outcome.kind()).increment();
        m.duration.record(nanos, TimeUnit.NANOSECONDS);
        m.latency.record(nanos);
    }

    /** The latency buckets of deployment {@code id}, or null while it has no meters. */
    public LatencyHistogram latency(String id) {
        DeploymentMeters m = byDeployment.get(id);
        return m == null ? null : m.latency;
    }

    private final class DeploymentMeters {
        /** Its registered routes, by identity: a replaced upload's routes equal the new ones. */
        final Set<Route> routes =
                Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

        final Map<Outcome.Kind, Counter> outcomes = new EnumMap<>(Outcome.Kind.class);
        final Timer duration;
        final LatencyHistogram latency = new LatencyHistogram();
        final LongAdder retiredCreated = new LongAdder();
        final LongAdder retiredDiscarded = new LongAdder();
        final List<Meter> meters = new ArrayList<>();

        DeploymentMeters(String deployment) {
            for (Outcome.Kind k : Outcome.Kind.values()) {
                Counter c =
                        Counter.builder(REQUESTS)
                                .tag("deployment", deployment)
                                .tag("outcome", k.name().toLowerCase(Locale.ROOT))
                                .description("guest requests answered, by outcome")
                                .register(registry);
                outcomes.put(k, c);
                meters.add(c);
            }
            duration =
                    Timer.builder(REQUESTS)
                            .tag("deployment", deployment)
                            .description("time from routing a guest request to its outcome")
                            .publishPercentileHistogram()
                            .minimumExpectedValue(Duration.ofMillis(1))
                            .maximumExpectedValue(Duration.ofSeconds(60))
                            .register(registry);
            meters.add(duration);
            meters.add(instances(deployment, "idle", InstancePool::idle));
            meters.add(instances(deployment, "in_use", InstancePool::inUse));
            meters.add(
                    poolCounter(
                            POOL_BUILT,
                            deployment,
                            "guest instances built",
                            InstancePool::created,
                            retiredCreated));
            meters.add(
                    poolCounter(
                            POOL_DISCARDED,
                            deployment,
                            "guest instances thrown away after a fault or to free memory",
                            InstancePool::discarded,
                            retiredDiscarded));
        }

        /** The distinct pools of the registered routes. */
        private List<InstancePool> pools() {
            synchronized (routes) {
                Set<InstancePool> pools = Collections.newSetFromMap(new IdentityHashMap<>());
                routes.forEach(r -> pools.add(r.pool()));
                return List.copyOf(pools);
            }
        }

        /** Forgets the routes served by {@code pool}; true if there were any. */
        boolean remove(InstancePool pool) {
            synchronized (routes) {
                return routes.removeIf(r -> r.pool() == pool);
            }
        }

        private Meter instances(String deployment, String state, ToDoubleFunction<InstancePool> v) {
            return Gauge.builder(POOL_INSTANCES, this, m -> m.pools().stream().mapToDouble(v).sum())
                    .tag("deployment", deployment)
                    .tag("state", state)
                    .description(
                            "pooled guest instances: idle ones wait, in_use ones run a request")
                    .register(registry);
        }

        private Meter poolCounter(
                String name,
                String deployment,
                String description,
                ToLongFunction<InstancePool> count,
                LongAdder retired) {
            return FunctionCounter.builder(
                            name,
                            this,
                            m -> retired.sum() + m.pools().stream().mapToLong(count).sum())
                    .tag("deployment", deployment)
                    .description(description)
                    .register(registry);
        }
    }
}
