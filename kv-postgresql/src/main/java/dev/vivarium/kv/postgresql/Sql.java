package dev.vivarium.kv.postgresql;

/**
 * Every statement the backend runs, in one place (schema in {@link Schema}). Keys are their UTF-8
 * bytes ({@code bytea}: exact, and U+0000 is allowed); times are epoch millis on the engine's
 * clock, passed in; {@code expires_at = 0} is "never", and a row with {@code expires_at <= now} is
 * absent for every statement.
 *
 * <p><b>Atomicity.</b> Every KV operation is one statement, committed on its own: an {@code INSERT
 * ... ON CONFLICT (deployment, key) DO UPDATE} (insert, upsert, append) or a {@code DELETE ...
 * RETURNING} (remove). The {@code ON CONFLICT} arm decides on the row as it is when the statement
 * holds its lock, never on a value read earlier: whether the key was absent is the returned {@code
 * version} (1: written over nothing or over an expired row), an upsert of a live key is refused by
 * its {@code WHERE}, an append is {@code e.value || excluded.value} and its {@code WHERE} is the
 * {@code kv.maxValueSize} check. The store's totals and the {@code kv.maxStoreSize} check are the
 * statement triggers' ({@link Schema#TOTALS_FUNCTION}), in the same transaction.
 */
final class Sql {
    private Sql() {}

    static final String EXPIRED = "e.expires_at <> 0 AND e.expires_at <= ?";

    /** The database's clock in epoch ms (tombstones are aged on it, not on a node's). */
    static final String DB_NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

    // --- stores ---------------------------------------------------------------------------------

    /** A live store's row; else it is a deleted store's tombstone. */
    static final String LIVE_STORE = " AND deleted_at = 0";

    /** [deployment]: the keys a write left in a deleted store, before it is created again */
    static final String CLEAR_TOMBSTONE =
            "DELETE FROM vivarium_kv_entries e WHERE e.deployment = ? AND EXISTS (SELECT 1 FROM"
                    + " vivarium_kv_stores s WHERE s.deployment = e.deployment AND s.deleted_at <> 0)";

    /** [deployment]: creates the store, or brings a tombstone back as an empty live store */
    static final String CREATE_STORE =
            "INSERT INTO vivarium_kv_stores AS s (deployment) VALUES (?)"
                    + " ON CONFLICT (deployment) DO UPDATE SET deleted_at = 0, lifetime_end = 0"
                    + " WHERE s.deleted_at <> 0";

    /** [deployment] → key_count, byte_count */
    static final String TOTALS =
            "SELECT key_count, byte_count FROM vivarium_kv_stores WHERE deployment = ?";

    /** [deployment] */
    static final String STORE_EXISTS =
            "SELECT 1 FROM vivarium_kv_stores WHERE deployment = ?" + LIVE_STORE;

    static final String LIST_STORES =
            "SELECT deployment FROM vivarium_kv_stores WHERE true" + LIVE_STORE;

    /** [deployment]: the store row becomes a tombstone (its keys are deleted beside it) */
    static final String DELETE_STORE =
            "UPDATE vivarium_kv_stores SET deleted_at = "
                    + DB_NOW_MS
                    + ", lifetime_end = 0 WHERE deployment = ?";

    /** [deployment] */
    static final String DELETE_ENTRIES = "DELETE FROM vivarium_kv_entries WHERE deployment = ?";

    /** [deployment] → lifetime_end */
    static final String LIFETIME_END =
            "SELECT lifetime_end FROM vivarium_kv_stores WHERE deployment = ?" + LIVE_STORE;

    // --- the cluster's expiry pass (PostgresBackend.expireShared) ------------------------------

    /** Taken by the pass for its transaction ("vivexpir"); a pass finding it taken skips. */
    static final long EXPIRY_LOCK = 0x7669766578706972L;

    /** [now, batch] → deployment of each deleted key: a batch of every store's expired keys */
    static final String PURGE_ALL =
            "DELETE FROM vivarium_kv_entries WHERE ctid = ANY(ARRAY(SELECT ctid FROM"
                    + " vivarium_kv_entries WHERE expires_at <> 0 AND expires_at <= ? LIMIT ?))"
                    + " RETURNING deployment";

    /** [now] → deployment: live stores whose lifetime ended */
    static final String ENDED_STORES =
            "SELECT deployment FROM vivarium_kv_stores WHERE lifetime_end <> 0 AND lifetime_end <= ?"
                    + LIVE_STORE
                    + " ORDER BY deployment";

    /** → deployment: tombstones that writes gave keys again */
    static final String TOMBSTONES_WITH_KEYS =
            "SELECT deployment FROM vivarium_kv_stores WHERE deleted_at <> 0 AND key_count > 0"
                    + " ORDER BY deployment";

    /** [age ms]: tombstones with no keys, older than any request that could still write */
    static final String DROP_TOMBSTONES =
            "DELETE FROM vivarium_kv_stores WHERE deleted_at <> 0 AND key_count = 0 AND deleted_at < "
                    + DB_NOW_MS
                    + " - ?";

    /** [deployment, lifetime_end] */
    static final String SET_LIFETIME_END =
            "INSERT INTO vivarium_kv_stores (deployment, lifetime_end) VALUES (?, ?)"
                    + " ON CONFLICT (deployment) DO UPDATE SET lifetime_end = excluded.lifetime_end";

    // --- entries --------------------------------------------------------------------------------

    private static final String INSERT =
            "INSERT INTO vivarium_kv_entries AS e (deployment, key, value, expires_at, version)"
                    + " VALUES (?, ?, ?, ?, 1) ON CONFLICT (deployment, key) DO UPDATE";

    /**
     * insert / insert_ttl. [deployment, key, value, expires_at, now] → version (1: the key was
     * absent or expired)
     */
    static final String PUT =
            INSERT
                    + " SET value = excluded.value, expires_at = excluded.expires_at,"
                    + " version = CASE WHEN "
                    + EXPIRED
                    + " THEN 1 ELSE e.version + 1 END RETURNING version";

    /**
     * upsert: writes only over an absent or expired key. [deployment, key, value, expires_at, now]
     * → version 1, or no row for a live key (left as it was)
     */
    static final String UPSERT =
            INSERT
                    + " SET value = excluded.value, expires_at = excluded.expires_at, version = 1"
                    + " WHERE "
                    + EXPIRED
                    + " RETURNING version";

    /**
     * append: {@code value || excluded.value} on a live key (keeping its expiry) if the result fits
     * in kv.maxValueSize, else over an expired one the value alone with no expiry. [deployment,
     * key, value, 0, now, now, now, now, maxValueSize] → version (1: the key was absent or
     * expired), or no row if it would grow too long (nothing written)
     */
    static final String APPEND =
            INSERT
                    + " SET value = CASE WHEN "
                    + EXPIRED
                    + " THEN excluded.value ELSE e.value || excluded.value END,"
                    + " expires_at = CASE WHEN "
                    + EXPIRED
                    + " THEN 0 ELSE e.expires_at END,"
                    + " version = CASE WHEN "
                    + EXPIRED
                    + " THEN 1 ELSE e.version + 1 END"
                    + " WHERE (CASE WHEN "
                    + EXPIRED
                    + " THEN 0 ELSE octet_length(e.value) END) + octet_length(excluded.value) <= ?"
                    + " RETURNING version";

    /** [deployment, key] → expires_at of the removed row */
    static final String REMOVE =
            "DELETE FROM vivarium_kv_entries WHERE deployment = ? AND key = ? RETURNING expires_at";

    private static final String LIVE = " AND (expires_at = 0 OR expires_at > ?)";

    /** [deployment, key, now] → value */
    static final String GET =
            "SELECT value FROM vivarium_kv_entries WHERE deployment = ? AND key = ?" + LIVE;

    /** [deployment, key, now] → length of the live value (for a limit's message) */
    static final String LIVE_LENGTH =
            "SELECT octet_length(value) FROM vivarium_kv_entries WHERE deployment = ? AND key = ?"
                    + LIVE;

    /** [deployment, now, limit] → key */
    static final String KEYS =
            "SELECT key FROM vivarium_kv_entries WHERE deployment = ?" + LIVE + " LIMIT ?";

    /** [deployment, now]; through the expiry index */
    static final String PURGE =
            "DELETE FROM vivarium_kv_entries"
                    + " WHERE deployment = ? AND expires_at <> 0 AND expires_at <= ?";
}
