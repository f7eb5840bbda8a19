package dev.vivarium.core.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable map by string whose {@link #with} and {@link #without} copy a part of it, not all of
 * it: past {@value #SMALL} entries the keys are spread over {@value #SHARDS} hash maps and a change
 * copies one of them and the array of shards. A table of 10,000 routes then changes by copying
 * about 160 entries instead of 10,000.
 *
 * @param <V> the values
 */
final class ShardedMap<V> {
    static final int SMALL = 64;
    static final int SHARDS = 64;

    private static final ShardedMap<?> EMPTY = new ShardedMap<>(new Map<?, ?>[] {Map.of()}, 0);

    /** One shard while small; else {@value #SHARDS}, by the key's hash. Never changed. */
    private final Map<String, V>[] shards;

    private final int size;

    private ShardedMap(Map<?, ?>[] shards, int size) {
        @SuppressWarnings("unchecked")
        Map<String, V>[] s = (Map<String, V>[]) shards;
        this.shards = s;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    static <V> ShardedMap<V> empty() {
        return (ShardedMap<V>) EMPTY;
    }

    private int shard(String key) {
        if (shards.length == 1) {
            return 0;
        }
        int h = key.hashCode();
        return (h ^ (h >>> 16)) & (SHARDS - 1);
    }

    V get(String key) {
        return shards[shard(key)].get(key);
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** This map with {@code key} mapped to {@code value}. */
    ShardedMap<V> with(String key, V value) {
        if (shards.length == 1 && size >= SMALL && !shards[0].containsKey(key)) {
            return resharded(SHARDS).with(key, value);
        }
        int i = shard(key);
        Map<String, V> copy = new HashMap<>(shards[i]);
        boolean added = copy.put(key, value) == null;
        Map<?, ?>[] next = shards.clone();
        next[i] = copy;
        return new ShardedMap<>(next, added ? size + 1 : size);
    }

    /** This map without {@code key} (itself if it has none). */
    ShardedMap<V> without(String key) {
        int i = shard(key);
        if (!shards[i].containsKey(key)) {
            return this;
        }
        if (size == 1) {
            return empty();
        }
        if (shards.length > 1 && size <= SMALL / 2) {
            return resharded(1).without(key);
        }
        Map<String, V> copy = new HashMap<>(shards[i]);
        copy.remove(key);
        Map<?, ?>[] next = shards.clone();
        next[i] = copy;
        return new ShardedMap<>(next, size - 1);
    }

    private ShardedMap<V> resharded(int count) {
        Map<?, ?>[] next = new Map<?, ?>[count];
        @SuppressWarnings("unchecked")
        Map<String, V>[] maps = (Map<String, V>[]) next;
        for (int i = 0; i < count; i++) {
            maps[i] = new HashMap<>();
        }
        ShardedMap<V> out = new ShardedMap<>(next, size);
        for (Map<String, V> s : shards) {
            s.forEach((k, v) -> maps[out.shard(k)].put(k, v));
        }
        return out;
    }

    List<V> values() {
        List<V> out = new ArrayList<>(size);
        for (Map<String, V> s : shards) {
            out.addAll(s.values());
        }
        return out;
    }
}
