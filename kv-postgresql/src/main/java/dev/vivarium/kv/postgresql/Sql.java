package dev.vivarium.kv.postgresql;

/**
 * Every statement the backend runs, in one place (schema in {@link Schema}). Keys are their UTF-8
 * bytes ({@code bytea}: exact, and U+0000 is allowed); times are epoch millis on the engine's
 * clock, passed in; {@code expires_at = 0} is "never", and a row with {@code expires_at <= now} is
 * absent for every statement.
 *
 * <p><b>Atomicity.</b> Every write to one deployment's entries runs in a transaction that first
 * locks the deployment's row in {@code vivarium_kv_stores} ({@link #LOCK_STORE}), then changes the
 * entry with one statement ({@code INSERT ... ON CONFLICT ... DO UPDATE}, or {@code DELETE ...
 * RETURNING}), then adds the change to the store's totals ({@link #ADD_TOTALS}) once the limit
 * check passed, and commits. The store row is always the first lock taken, so there is no deadlock,
 * and it is held to the commit, so the totals are exact and the {@code old} sub-query of a write
 * (the entry's previous size, at the statement's snapshot) cannot be stale. The entry statement is
 * atomic by itself too: the {@code ON CONFLICT} arm decides on the row as it is, not on a value
 * read earlier, and an append's growth check is its {@code WHERE}. Reads take no lock.
 */
final class Sql {
    private Sql() {}

    static final String EXPIRED = "e.expires_at <> 0 AND e.expires_at <= ?";

    // --- stores ---------------------------------------------------------------------------------

    /** [deployment] */
    static final String CREATE_STORE =
            "INSERT INTO vivarium_kv_stores (deployment) VALUES (?)"
                    + " ON CONFLICT (deployment) DO NOTHING";

    /**
     * [deployment] → key_count, byte_count. Locks the store row until the commit; creates it if
     * another node deleted the store meanwhile (the write starts a new, empty store).
     */
    static final String LOCK_STORE =
            "INSERT INTO vivarium_kv_stores AS s (deployment) VALUES (?)"
                    + " ON CONFLICT (deployment) DO UPDATE SET key_count = s.key_count"
                    + " RETURNING key_count, byte_count";

    /** [keys delta, bytes delta, deployment] → key_count, byte_count */
    static final String ADD_TOTALS =
            "UPDATE vivarium_kv_stores SET key_count = key_count + ?, byte_count = byte_count + ?"
                    + " WHERE deployment = ? RETURNING key_count, byte_count";

    /** [deployment] */
    static final String ZERO_TOTALS =
            "UPDATE vivarium_kv_stores SET key_count = 0, byte_count = 0 WHERE deployment = ?";

    /** [deployment] → key_count, byte_count */
    static final String TOTALS =
            "SELECT key_count, byte_count FROM vivarium_kv_stores WHERE deployment = ?";

    /** [deployment] */
    static final String STORE_EXISTS = "SELECT 1 FROM vivarium_kv_stores WHERE deployment = ?";

    static final String LIST_STORES = "SELECT deployment FROM vivarium_kv_stores";

    /** [deployment] */
    static final String DELETE_STORE = "DELETE FROM vivarium_kv_stores WHERE deployment = ?";

    /** [deployment] */
    static final String DELETE_ENTRIES = "DELETE FROM vivarium_kv_entries WHERE deployment = ?";

    /** [deployment] → lifetime_end */
    static final String LIFETIME_END =
            "SELECT lifetime_end FROM vivarium_kv_stores WHERE deployment = ?";

    /** [deployment, lifetime_end] */
    static final String SET_LIFETIME_END =
            "INSERT INTO vivarium_kv_stores (deployment, lifetime_end) VALUES (?, ?)"
                    + " ON CONFLICT (deployment) DO UPDATE SET lifetime_end = excluded.lifetime_end";

    // --- entries --------------------------------------------------------------------------------

    private static final String OLD =
            "WITH old AS (SELECT octet_length(value) AS len, expires_at FROM vivarium_kv_entries"
                    + " WHERE deployment = ? AND key = ?), ";

    private static final String INSERT =
            "INSERT INTO vivarium_kv_entries AS e (deployment, key, value, expires_at, version)";

    /**
     * insert / insert_ttl. [deployment, key, deployment, key, value, expires_at, now] → version (1:
     * the key was absent or expired), old length (null: no row)
     */
    static final String PUT =
            OLD
                    + "w AS ("
                    + INSERT
                    + " VALUES (?, ?, ?, ?, 1) ON CONFLICT (deployment, key) DO UPDATE"
                    + " SET value = excluded.value, expires_at = excluded.expires_at,"
                    + " version = CASE WHEN "
                    + EXPIRED
                    + " THEN 1 ELSE e.version + 1 END"
                    + " RETURNING e.version)"
                    + " SELECT (SELECT version FROM w), (SELECT len FROM old)";

    /**
     * upsert: writes only over an absent or expired key. [deployment, key, deployment, key, value,
     * expires_at, now] → version (null: a live key, left as it was), old length
     */
    static final String UPSERT =
            OLD
                    + "w AS ("
                    + INSERT
                    + " VALUES (?, ?, ?, ?, 1) ON CONFLICT (deployment, key) DO UPDATE"
                    + " SET value = excluded.value, expires_at = excluded.expires_at, version = 1"
                    + " WHERE "
                    + EXPIRED
                    + " RETURNING e.version)"
                    + " SELECT (SELECT version FROM w), (SELECT len FROM old)";

    /**
     * append: {@code value || excluded.value} on a live key (keeping its expiry) if the result fits
     * in kv.maxValueSize, else the value alone with no expiry. [deployment, key, deployment, key,
     * value, now, now, now, now, maxValueSize] → version (null: refused, it would grow too long),
     * new length, old length, old expires_at
     */
    static final String APPEND =
            OLD
                    + "w AS ("
                    + INSERT
                    + " VALUES (?, ?, ?, 0, 1) ON CONFLICT (deployment, key) DO UPDATE"
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
                    + " RETURNING e.version, octet_length(e.value) AS len)"
                    + " SELECT (SELECT version FROM w), (SELECT len FROM w),"
                    + " (SELECT len FROM old), (SELECT expires_at FROM old)";

    /** [deployment, key] → old length, old expires_at */
    static final String REMOVE =
            "DELETE FROM vivarium_kv_entries WHERE deployment = ? AND key = ?"
                    + " RETURNING octet_length(value), expires_at";

    private static final String LIVE = " AND (expires_at = 0 OR expires_at > ?)";

    /** [deployment, key, now] → value */
    static final String GET =
            "SELECT value FROM vivarium_kv_entries WHERE deployment = ? AND key = ?" + LIVE;

    /** [deployment, key, now] → length of the live value */
    static final String LIVE_LENGTH =
            "SELECT octet_length(value) FROM vivarium_kv_entries WHERE deployment = ? AND key = ?"
                    + LIVE;

    /** [deployment, now, limit] → key */
    static final String KEYS =
            "SELECT key FROM vivarium_kv_entries WHERE deployment = ?" + LIVE + " LIMIT ?";

    private static final String EXPIRED_ROWS =
            " FROM vivarium_kv_entries WHERE deployment = ? AND expires_at <> 0 AND expires_at <= ?";

    /** [deployment, now] → whether any key expired (reads the partial expiry index only) */
    static final String ANY_EXPIRED = "SELECT EXISTS (SELECT 1" + EXPIRED_ROWS + ")";

    /** [deployment, now] → keys deleted, bytes freed; under the store lock */
    static final String PURGE =
            "WITH d AS (DELETE"
                    + EXPIRED_ROWS
                    + " RETURNING octet_length(key) + octet_length(value) AS size)"
                    + " SELECT count(*), coalesce(sum(size), 0) FROM d";
}
