package dev.vivarium.core.engine;

import dev.vivarium.core.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of the engine: {@code vivarium.requests} (counter, tags {@code guest} and
 * {@code outcome}), {@code vivarium.request.duration} (timer, tag {@code guest}) and the pool
 * gauges {@code vivarium.pool.idle}, {@code vivarium.pool.in.use}, {@code vivarium.pool.created},
 * {@code vivarium.pool.discarded}. Meters are looked up once per guest, not per request.
 */
public final class EngineMetrics {
    private final MeterRegistry registry;
    private final Map<String, GuestMeters> byGuest = new ConcurrentHashMap<>();
    private final Map<InstancePool, List<Meter>> poolMeters = new ConcurrentHashMap<>();

    public EngineMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void register(InstancePool pool) {
        poolMeters.put(
                pool,
                List.of(
                        poolGauge("vivarium.pool.idle", pool, InstancePool::idle),
                        poolGauge("vivarium.pool.in.use", pool, InstancePool::inUse),
                        poolGauge("vivarium.pool.created", pool, InstancePool::created),
                        poolGauge("vivarium.pool.discarded", pool, InstancePool::discarded)));
    }

    /** Removes a pool's gauges (its deployment was removed or replaced). */
    public void unregister(InstancePool pool) {
        List<Meter> meters = poolMeters.remove(pool);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
    }

    private Meter poolGauge(String name, InstancePool pool, ToDoubleFunction<InstancePool> value) {
        return Gauge.builder(name, pool, value)
                .tag("guest", pool.guest().name())
                .register(registry);
    }

    void record(Route route, Outcome outcome, long nanos) {
        GuestMeters m = byGuest.computeIfAbsent(route.guestName(), GuestMeters::new);
        m.outcomes.get(outcome.kind()).increment();
        m.duration.record(nanos, TimeUnit.NANOSECONDS);
    }

    private final class GuestMeters {
        final Map<Outcome.Kind, Counter> outcomes = new EnumMap<>(Outcome.Kind.class);
        final Timer duration;

        GuestMeters(String guest) {
            for (Outcome.Kind k : Outcome.Kind.values()) {
                outcomes.put(
                        k,
                        Counter.builder("vivarium.requests")
                                .tag("guest", guest)
                                .tag("outcome", k.name().toLowerCase(java.util.Locale.ROOT))
                                .register(registry));
            }
            duration =
                    Timer.builder("vivarium.request.duration")
                            .tag("guest", guest)
                            .register(registry);
        }
    }
}
