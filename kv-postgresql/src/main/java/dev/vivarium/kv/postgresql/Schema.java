package dev.vivarium.kv.postgresql;

import dev.vivarium.core.kv.KvUnavailableException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The backend's tables, created or migrated when a node starts: {@code vivarium_kv_schema} records
 * which versions were applied, and each version is a list of statements run in one transaction,
 * under an advisory lock, so that nodes starting together migrate once.
 *
 * <pre>
 * vivarium_kv_stores   one row per deployment with a store: its lifetime end and its totals
 *   deployment text PK, lifetime_end bigint (epoch ms, 0 = until deleted),
 *   key_count bigint, byte_count bigint (keys and values, UTF-8 key bytes, as kv.maxStoreSize counts),
 *   deleted_at bigint (version 2: epoch ms on the database's clock; 0 = a live store, else a tombstone)
 * vivarium_kv_entries  one row per key
 *   (deployment text, key bytea UTF-8) PK, value bytea,
 *   expires_at bigint (epoch ms on the engine clock, 0 = never), version bigint (1 = written when absent)
 * </pre>
 */
final class Schema {
    /** The version this code reads and writes. */
    static final int CURRENT = 2;

    /** The oldest server accepted ({@code server_version_num}); the statements need 9.5. */
    static final int MIN_SERVER_VERSION = 120000;

    /** Key of the advisory lock held while the schema is checked or migrated ("vivarium"). */
    private static final long MIGRATION_LOCK = 0x7669766172697560L;

    /** The SQLSTATE {@link #TOTALS_FUNCTION} raises when a write would break kv.maxStoreSize. */
    static final String STORE_FULL = "VVKV1";

    /**
     * Keeps {@code vivarium_kv_stores}' totals, as statement triggers of {@code
     * vivarium_kv_entries}: in the writing statement's transaction, from the rows it changed
     * (transition tables), after every entry row lock it takes, so the store row is always the last
     * lock and is held only from there to the commit. A write that would leave the store over the
     * session's {@code vivarium.kv_max_store_size} (each node sets its own {@code kv.maxStoreSize})
     * fails with {@link #STORE_FULL} and the total it would have reached as its detail; the
     * statement then changes nothing. A write recreates the store row if another node deleted it.
     */
    static final String TOTALS_FUNCTION =
            """
            CREATE FUNCTION vivarium_kv_totals() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                max_size bigint :=
                    nullif(current_setting('vivarium.kv_max_store_size', true), '')::bigint;
                t record;
                total bigint;
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    UPDATE vivarium_kv_stores s
                       SET key_count = s.key_count - d.keys, byte_count = s.byte_count - d.bytes
                      FROM (SELECT deployment, count(*) AS keys,
                                   sum(octet_length(key) + octet_length(value)) AS bytes
                              FROM old_rows GROUP BY deployment) d
                     WHERE s.deployment = d.deployment;
                    RETURN NULL;
                END IF;
                IF TG_OP = 'INSERT' THEN
                    FOR t IN SELECT deployment, count(*) AS keys,
                                    sum(octet_length(key) + octet_length(value)) AS bytes
                               FROM new_rows GROUP BY deployment LOOP
                        INSERT INTO vivarium_kv_stores AS s (deployment, key_count, byte_count)
                             VALUES (t.deployment, t.keys, t.bytes)
                        ON CONFLICT (deployment) DO UPDATE
                             SET key_count = s.key_count + excluded.key_count,
                                 byte_count = s.byte_count + excluded.byte_count
                          RETURNING byte_count INTO total;
                        IF total > max_size THEN
                            RAISE EXCEPTION USING ERRCODE = 'VVKV1',
                                MESSAGE = 'KV store ' || t.deployment || ' would be too large',
                                DETAIL = total::text;
                        END IF;
                    END LOOP;
                ELSE
                    FOR t IN SELECT deployment, sum(bytes) AS bytes FROM (
                                 SELECT deployment, octet_length(key) + octet_length(value) AS bytes
                                   FROM new_rows
                                 UNION ALL
                                 SELECT deployment, -(octet_length(key) + octet_length(value))
                                   FROM old_rows) c GROUP BY deployment LOOP
                        INSERT INTO vivarium_kv_stores AS s (deployment, key_count, byte_count)
                             VALUES (t.deployment, 0, t.bytes)
                        ON CONFLICT (deployment) DO UPDATE
                             SET byte_count = s.byte_count + excluded.byte_count
                          RETURNING byte_count INTO total;
                        IF total > max_size THEN
                            RAISE EXCEPTION USING ERRCODE = 'VVKV1',
                                MESSAGE = 'KV store ' || t.deployment || ' would be too large',
                                DETAIL = total::text;
                        END IF;
                    END LOOP;
                END IF;
                RETURN NULL;
            END $$""";

    /** Version n is {@code VERSIONS.get(n - 1)}. */
    private static final List<List<String>> VERSIONS =
            List.of(
                    List.of(
                            """
                            CREATE TABLE vivarium_kv_stores (
                                deployment   text PRIMARY KEY,
                                lifetime_end bigint NOT NULL DEFAULT 0,
                                key_count    bigint NOT NULL DEFAULT 0,
                                byte_count   bigint NOT NULL DEFAULT 0
                            )""",
                            """
                            CREATE TABLE vivarium_kv_entries (
                                deployment text   NOT NULL,
                                key        bytea  NOT NULL,
                                value      bytea  NOT NULL,
                                expires_at bigint NOT NULL DEFAULT 0,
                                version    bigint NOT NULL DEFAULT 1,
                                PRIMARY KEY (deployment, key)
                            )""",
                            """
                            CREATE INDEX vivarium_kv_entries_expiry
                                ON vivarium_kv_entries (deployment, expires_at)
                                WHERE expires_at <> 0""",
                            TOTALS_FUNCTION,
                            """
                            CREATE TRIGGER vivarium_kv_entries_inserted
                                AFTER INSERT ON vivarium_kv_entries
                                REFERENCING NEW TABLE AS new_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION vivarium_kv_totals()""",
                            """
                            CREATE TRIGGER vivarium_kv_entries_updated
                                AFTER UPDATE ON vivarium_kv_entries
                                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION vivarium_kv_totals()""",
                            """
                            CREATE TRIGGER vivarium_kv_entries_deleted
                                AFTER DELETE ON vivarium_kv_entries
                                REFERENCING OLD TABLE AS old_rows
                                FOR EACH STATEMENT EXECUTE FUNCTION vivarium_kv_totals()"""),
                    // 2: a deleted store keeps its row as a tombstone (deleted_at, epoch ms of the
                    // database's clock) until the expiry pass, so a write that lands after the
                    // delete (a request another node still ran) is found and deleted there
                    List.of(
                            """
                            ALTER TABLE vivarium_kv_stores
                                ADD COLUMN deleted_at bigint NOT NULL DEFAULT 0""",
                            """
                            CREATE INDEX vivarium_kv_stores_ended
                                ON vivarium_kv_stores (lifetime_end)
                                WHERE lifetime_end <> 0 OR deleted_at <> 0"""));

    private Schema() {}

    /**
     * Checks the server and brings the schema to {@link #CURRENT}.
     *
     * @param where the database, for messages (no password)
     * @throws KvUnavailableException if the server is too old, the schema is newer than this code,
     *     or a statement fails
     */
    static void migrate(Connection c, String where) throws SQLException {
        int server = serverVersion(c);
        checkServer(server, where);
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            s.execute(
                    """
                    CREATE TABLE IF NOT EXISTS vivarium_kv_schema (
                        version     integer PRIMARY KEY,
                        applied_at  timestamptz NOT NULL DEFAULT now()
                    )""");
            int at = 0;
            try (ResultSet r = s.executeQuery("SELECT max(version) FROM vivarium_kv_schema")) {
                if (r.next()) {
                    at = r.getInt(1);
                }
            }
            if (at > CURRENT) {
                throw new KvUnavailableException(
                        "the KV database at "
                                + where
                                + " has schema version "
                                + at
                                + " (table vivarium_kv_schema), newer than this Vivarium's "
                                + CURRENT
                                + ": upgrade Vivarium on this node, or point kv.jdbc.url at"
                                + " another database");
            }
            for (int v = at + 1; v <= CURRENT; v++) {
                for (String ddl : VERSIONS.get(v - 1)) {
                    s.execute(ddl);
                }
                s.execute("INSERT INTO vivarium_kv_schema (version) VALUES (" + v + ")");
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    static int serverVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SHOW server_version_num")) {
            r.next();
            return Integer.parseInt(r.getString(1).trim());
        }
    }

    /** Refuses a server older than {@link #MIN_SERVER_VERSION}, naming both versions. */
    static void checkServer(int serverVersionNum, String where) {
        if (serverVersionNum < MIN_SERVER_VERSION) {
            throw new KvUnavailableException(
                    "the KV database at "
                            + where
                            + " runs PostgreSQL "
                            + describe(serverVersionNum)
                            + "; kv.backend=postgresql needs PostgreSQL "
                            + MIN_SERVER_VERSION / 10000
                            + " or newer");
        }
    }

    /** 140022 → "14.22", 90624 → "9.6.24". */
    static String describe(int num) {
        int major = num / 10000;
        if (major >= 10) {
            return major + "." + num % 10000;
        }
        return major + "." + num / 100 % 100 + "." + num % 100;
    }
}
