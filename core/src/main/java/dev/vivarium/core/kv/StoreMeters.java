package dev.vivarium.core.kv;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters of one open store, all tagged {@code deployment}: gauges {@code vivarium.kv.keys} and
 * {@code vivarium.kv.bytes}; counters {@code vivarium.kv.operations} (tag {@code operation}: get,
 * insert, upsert, append, remove), {@code vivarium.kv.lookups} (tag {@code result}: hit, miss),
 * {@code vivarium.kv.commits} and {@code vivarium.kv.purged} (expired keys deleted). Removed from
 * the registry when the store closes, so a re-created store starts fresh.
 */
final class StoreMeters {
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    StoreMeters(MeterRegistry registry, OpenStore open) {
        this.registry = registry;
        String d = open.id;
        StoreCounters c = open.counters;
        KvBackendStore store = open.store;
        meters.add(
                Gauge.builder("vivarium.kv.keys", store, KvBackendStore::keyCount)
                        .tag("deployment", d)
                        .description("keys held, expired ones included until purged")
                        .register(registry));
        meters.add(
                Gauge.builder("vivarium.kv.bytes", store, KvBackendStore::byteCount)
                        .tag("deployment", d)
                        .baseUnit("bytes")
                        .description("bytes of keys and values, as counted for kv.maxStoreSize")
                        .register(registry));
        operation(d, "get", c.gets);
        operation(d, "insert", c.inserts);
        operation(d, "upsert", c.upserts);
        operation(d, "append", c.appends);
        operation(d, "remove", c.removes);
        counter("vivarium.kv.lookups", d, "result", "hit", c.hits);
        counter("vivarium.kv.lookups", d, "result", "miss", c.misses);
        meters.add(
                FunctionCounter.builder("vivarium.kv.commits", store, KvBackendStore::commitCount)
                        .tag("deployment", d)
                        .register(registry));
        meters.add(
                FunctionCounter.builder("vivarium.kv.purged", store, KvBackendStore::purgedCount)
                        .tag("deployment", d)
                        .register(registry));
    }

    private void operation(String deployment, String op, LongAdder adder) {
        counter("vivarium.kv.operations", deployment, "operation", op, adder);
    }

    private void counter(String name, String deployment, String tag, String value, LongAdder a) {
        meters.add(
                FunctionCounter.builder(name, a, LongAdder::sum)
                        .tag("deployment", deployment)
                        .tag(tag, value)
                        .register(registry));
    }

    void remove() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
