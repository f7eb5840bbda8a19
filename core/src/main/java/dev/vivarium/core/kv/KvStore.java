package dev.vivarium.core.kv;

import java.time.Duration;

/**
 * One deployment's key-value store, as the KV hostcalls see it (semantics in {@code
 * guests/ABI.md}). Implementations are thread-safe: many requests of one deployment run at once.
 */
public interface KvStore {
    /** Puts (overwrites); true if the key was absent before. */
    boolean insert(String key, byte[] value);

    /** Vivarium extension: {@link #insert} with a time to live. */
    boolean insertWithTtl(String key, byte[] value, Duration ttl);

    /** Terrarium's documented upsert: inserts only if absent; true if it was absent. */
    boolean upsert(String key, byte[] value);

    /** Appends to the existing value or inserts; true if the key was absent. */
    boolean append(String key, byte[] value);

    /** The value, or null when absent or expired. */
    byte[] get(String key);

    /** True if the key was present and is now removed. */
    boolean remove(String key);
}
