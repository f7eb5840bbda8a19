package dev.vivarium.core.kv;

import java.time.Instant;

/**
 * A snapshot of one deployment's store, for operators. Counts are since the store was opened in
 * this process.
 *
 * @param deployment the deployment id
 * @param keys keys held, including expired keys not purged yet
 * @param bytes bytes of keys (UTF-8) and values held, as counted against {@code kv.maxStoreSize}
 * @param expiresAt when the whole store will be deleted, or null if it lives until deleted
 * @param gets {@code get} calls
 * @param hits gets that found a value
 * @param misses gets that found nothing (absent or expired)
 * @param inserts {@code insert} calls, with or without a time to live
 * @param upserts {@code upsert} calls
 * @param appends {@code append} calls
 * @param removes {@code remove} calls
 * @param commits commits to disk (fewer than writes when concurrent writers shared one)
 * @param purgedKeys expired keys deleted by purges
 */
public record KvStats(
        String deployment,
        long keys,
        long bytes,
        Instant expiresAt,
        long gets,
        long hits,
        long misses,
        long inserts,
        long upserts,
        long appends,
        long removes,
        long commits,
        long purgedKeys) {}
