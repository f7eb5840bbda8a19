package dev.vivarium.core.engine;

import dev.vivarium.core.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of the engine: {@code vivarium.requests} (counter, tags {@code guest} and
 * {@code outcome}), {@code vivarium.request.duration} (timer, tag {@code guest}) and the pool
 * gauges {@code vivarium.pool.idle}, {@code vivarium.pool.in.use}, {@code vivarium.pool.created},
 * {@code vivarium.pool.discarded}; engine-wide, {@code vivarium.memory.used} and {@code
 * vivarium.memory.max} (bytes of guest memory, see {@link MemoryBudget}) and {@code
 * vivarium.deployments.uploaded}.
 *
 * <p>Meters are per guest name (the {@code guest} tag) and exist while a pool of that name is
 * registered: a pool gauge reads the sum over the live pools of its name (two while an upload is
 * being replaced, or when two guest directories hold files of the same name), and when the last
 * pool of a name is unregistered (its deployment was removed) all its meters are removed, so
 * deployments that come and go do not accumulate meters. Meters are looked up once per guest, not
 * per request.
 */
public final class EngineMetrics {
    private final MeterRegistry registry;
    private final Map<String, GuestMeters> byGuest = new ConcurrentHashMap<>();
    private final List<Meter> engineMeters = new CopyOnWriteArrayList<>();

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

    /**
     * Removes the engine-wide gauges; the per-guest meters go when their pools are unregistered.
     */
    public void close() {
        engineMeters.forEach(registry::remove);
        engineMeters.clear();
    }

    /** Counts a pool in its guest's meters, creating them with the guest's first pool. */
    public void register(InstancePool pool) {
        byGuest.compute(
                pool.guest().name(),
                (name, m) -> {
                    GuestMeters meters = m != null ? m : new GuestMeters(name);
                    meters.pools.add(pool);
                    return meters;
                });
    }

    /**
     * Stops counting a pool (its deployment was removed or replaced); with the last pool of its
     * guest name, that guest's meters are removed from the registry.
     */
    public void unregister(InstancePool pool) {
        byGuest.computeIfPresent(
                pool.guest().name(),
                (name, m) -> {
                    m.pools.remove(pool);
                    if (!m.pools.isEmpty()) {
                        return m;
                    }
                    m.meters.forEach(registry::remove);
                    return null;
                });
    }

    void record(Route route, Outcome outcome, long nanos) {
        GuestMeters m = byGuest.get(route.guestName());
        if (m == null) {
            // the request ran while its deployment was removed, and the meters went with it
            return;
        }
        m.outcomes.get(outcome.kind()).increment();
        m.duration.record(nanos, TimeUnit.NANOSECONDS);
    }

    private final class GuestMeters {
        final Set<InstancePool> pools = new CopyOnWriteArraySet<>();
        final Map<Outcome.Kind, Counter> outcomes = new EnumMap<>(Outcome.Kind.class);
        final Timer duration;
        final List<Meter> meters = new ArrayList<>();

        GuestMeters(String guest) {
            for (Outcome.Kind k : Outcome.Kind.values()) {
                Counter c =
                        Counter.builder("vivarium.requests")
                                .tag("guest", guest)
                                .tag("outcome", k.name().toLowerCase(Locale.ROOT))
                                .register(registry);
                outcomes.put(k, c);
                meters.add(c);
            }
            duration =
                    Timer.builder("vivarium.request.duration")
                            .tag("guest", guest)
                            .register(registry);
            meters.add(duration);
            meters.add(poolGauge("vivarium.pool.idle", guest, InstancePool::idle));
            meters.add(poolGauge("vivarium.pool.in.use", guest, InstancePool::inUse));
            meters.add(poolGauge("vivarium.pool.created", guest, InstancePool::created));
            meters.add(poolGauge("vivarium.pool.discarded", guest, InstancePool::discarded));
        }

        private Meter poolGauge(String name, String guest, ToDoubleFunction<InstancePool> value) {
            return Gauge.builder(name, pools, live -> live.stream().mapToDouble(value).sum())
                    .tag("guest", guest)
                    .register(registry);
        }
    }
}
