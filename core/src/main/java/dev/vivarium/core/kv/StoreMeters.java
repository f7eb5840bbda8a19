package dev.vivarium.core.kv;

import dev.vivarium.core.kv.StoreCounters.Op;
import dev.vivarium.core.kv.StoreCounters.Result;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters of one open store, all tagged {@code deployment} (see {@code docs/metrics.md}): gauges
 * {@value #KEYS} and {@value #SIZE} (bytes); counters {@value #OPERATIONS} (tags {@code op}: get,
 * insert, upsert, append, remove; {@code result}: hit, miss, error), {@value #COMMITS} and {@value
 * #PURGED} (expired keys deleted). Removed from the registry when the store closes, so a re-created
 * store starts fresh.
 */
final class StoreMeters {
    static final String KEYS = "vivarium.kv.keys";
    static final String SIZE = "vivarium.kv.size";
    static final String OPERATIONS = "vivarium.kv.operations";
    static final String COMMITS = "vivarium.kv.commits";
    static final String PURGED = "vivarium.kv.keys.purged";

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    StoreMeters(MeterRegistry registry, OpenStore open) {
        this.registry = registry;
        String d = open.id;
        StoreCounters c = open.counters;
        KvBackendStore store = open.store;
        meters.add(
                Gauge.builder(KEYS, store, KvBackendStore::keyCount)
                        .tag("deployment", d)
                        .description("keys held, expired ones included until purged")
                        .register(registry));
        meters.add(
                Gauge.builder(SIZE, store, KvBackendStore::byteCount)
                        .tag("deployment", d)
                        .baseUnit("bytes")
                        .description("bytes of keys and values, as counted for kv.maxStoreSize")
                        .register(registry));
        for (Op op : Op.values()) {
            for (Result result : Result.values()) {
                meters.add(
                        FunctionCounter.builder(OPERATIONS, c.of(op, result), LongAdder::sum)
                                .tag("deployment", d)
                                .tag("op", op.tag())
                                .tag("result", result.tag())
                                .description("key-value operations by the deployment's guests")
                                .register(registry));
            }
        }
        meters.add(
                FunctionCounter.builder(COMMITS, store, KvBackendStore::commitCount)
                        .tag("deployment", d)
                        .description("commits to the backend (concurrent writers may share one)")
                        .register(registry));
        meters.add(
                FunctionCounter.builder(PURGED, store, KvBackendStore::purgedCount)
                        .tag("deployment", d)
                        .description("expired keys deleted by purges")
                        .register(registry));
    }

    void remove() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
