package dev.vivarium.core.kv;

import java.util.concurrent.atomic.LongAdder;

/** Operation counts of one open store, read by its meters and by {@link KvStores#stats}. */
final class StoreCounters {
    final LongAdder gets = new LongAdder();
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder inserts = new LongAdder();
    final LongAdder upserts = new LongAdder();
    final LongAdder appends = new LongAdder();
    final LongAdder removes = new LongAdder();
}
