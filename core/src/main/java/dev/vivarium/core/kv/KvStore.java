package dev.vivarium.core.kv;

import java.time.Duration;

/**
 * One deployment's key-value store, as the KV hostcalls see it (semantics in {@code
 * guests/ABI.md}). Implementations are thread-safe: many requests of one deployment run at once.
 *
 * <p>Keys are text; sizes are counted in UTF-8 bytes. Every write is durable when it returns, or,
 * inside a request, before the request is answered (see {@link KvStores}). A write that would break
 * a limit throws {@link KvLimitException} and changes nothing; a store that was deleted or failed
 * throws {@link KvUnavailableException}.
 */
public interface KvStore {
    /** Puts (overwrites); true if the key was absent before. */
    boolean insert(String key, byte[] value);

    /**
     * Vivarium extension: {@link #insert} with a time to live. The key reads as absent once {@code
     * ttl} has passed on the store's clock; an expired key counts as absent for every operation.
     */
    boolean insertWithTtl(String key, byte[] value, Duration ttl);

    /** Terrarium's documented upsert: inserts only if absent; true if it was absent. */
    boolean upsert(String key, byte[] value);

    /**
     * Appends to the existing value or inserts; true if the key was absent. An appended key keeps
     * its time to live.
     */
    boolean append(String key, byte[] value);

    /** The value, or null when absent or expired. */
    byte[] get(String key);

    /** True if the key was present and is now removed. */
    boolean remove(String key);
}
