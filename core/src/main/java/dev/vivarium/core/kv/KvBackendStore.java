package dev.vivarium.core.kv;

import java.util.List;

/**
 * One deployment's store as a {@link KvBackend} opened it. {@link KvStores} wraps it in the {@link
 * KvStore} the hostcalls see, after the checks every backend shares: keys are non-null and at most
 * {@code kv.maxKeySize} UTF-8 bytes, values non-null, an insert value at most {@code
 * kv.maxValueSize}. Times are epoch millis on the engine's clock, passed in, so the backend reads
 * no clock of its own; {@code expiresAt == 0} means the key never expires, and a key whose {@code
 * expiresAt <= now} is absent for every operation.
 *
 * <p>Every write is atomic and durable when it returns; the checks left to the backend (see {@link
 * KvLimits}) are decided atomically with it and a refused write changes nothing. After {@link
 * #close} every operation throws {@link KvUnavailableException#closed} with the reason; close waits
 * for the operations inside the store.
 */
public interface KvBackendStore {
    /**
     * Insert (overwrite; {@code onlyIfAbsent} false) or Terrarium's upsert (only if absent; a live
     * key is left as it is and false returned). A written key gets {@code expiresAt}, replacing any
     * earlier expiry.
     *
     * @return whether the key was absent (or expired) before
     * @throws KvLimitException if the written value or the store's total would break a limit
     */
    boolean put(String key, byte[] value, long expiresAt, boolean onlyIfAbsent, long now);

    /**
     * Appends to a live value, keeping its expiry, or inserts the value with no expiry.
     *
     * @return whether the key was absent (or expired) before
     * @throws KvLimitException if the resulting value or the store's total would break a limit
     */
    boolean append(String key, byte[] value, long now);

    /** The value (a copy the caller may keep), or null when absent or expired. */
    byte[] get(String key, long now);

    /** Removes the key; true if it was present and live. */
    boolean remove(String key, long now);

    /** Deletes the keys expired by {@code now}, durably; returns how many. */
    int purgeExpired(long now);

    /** Deletes every key, durably; the store stays. */
    void clear();

    /** Up to {@code limit} live keys, in any order. */
    List<String> keys(int limit, long now);

    /** Keys held, expired ones included until purged. Cheap: meters read it. */
    long keyCount();

    /** Bytes of keys (UTF-8) and values held, as counted against {@code kv.maxStoreSize}. */
    long byteCount();

    /** Commits made since this store object was opened (0 if the backend does not count them). */
    long commitCount();

    /** Expired keys deleted since this store object was opened, by purges and by writes. */
    long purgedCount();

    /**
     * Whether this store object broke and must be replaced: {@link KvStores} closes it with {@link
     * StoreClosed#FAILED} and opens the store again on the next operation. A remote backend whose
     * connection failed but recovers by itself returns false.
     */
    boolean failed();

    /** Closes the store object once the operations inside it are done; idempotent, never throws. */
    void close(StoreClosed reason);

    /** Why it was closed, or null while it serves. */
    StoreClosed closedReason();
}
