package dev.vivarium.kv.postgresql;

import dev.vivarium.core.deploy.RepositoryUnavailableException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The tables of {@code deployments.store=postgresql}, created or migrated when a node opens the
 * store: {@code vivarium_deploy_schema} records the versions applied, each version runs in one
 * transaction under an advisory lock (as {@link Schema} does for the KV tables), so nodes starting
 * together migrate once.
 *
 * <pre>
 * vivarium_deploy_modules     one row per distinct module: sha256 text PK (hex), bytes bytea
 * vivarium_deployments        one row per upload: id text PK, route text, module_name text,
 *                             module_sha256 text FK, deployed_at text, expires_at text (ISO-8601,
 *                             exact), expires_ms bigint (for expiry), generation bigint (of the
 *                             change that wrote it)
 * vivarium_deploy_generation  one row: generation bigint, bumped by every change
 * vivarium_deploy_nodes       node_id text PK, generation bigint (the one it serves),
 *                             seen_at timestamptz, started_at timestamptz
 * </pre>
 */
final class DeploymentSchema {
    static final int CURRENT = 1;

    /** Key of the advisory lock held while the schema is checked or migrated ("vivdeply"). */
    private static final long MIGRATION_LOCK = 0x7669766465706c79L;

    private static final List<List<String>> VERSIONS =
            List.of(
                    List.of(
                            """
                            CREATE TABLE vivarium_deploy_modules (
                                sha256 text  PRIMARY KEY,
                                bytes  bytea NOT NULL
                            )""",
                            """
                            CREATE TABLE vivarium_deployments (
                                id            text   PRIMARY KEY,
                                route         text   NOT NULL,
                                module_name   text   NOT NULL,
                                module_sha256 text   NOT NULL
                                    REFERENCES vivarium_deploy_modules (sha256),
                                deployed_at   text   NOT NULL,
                                expires_at    text   NOT NULL,
                                expires_ms    bigint NOT NULL,
                                generation    bigint NOT NULL
                            )""",
                            """
                            CREATE TABLE vivarium_deploy_generation (
                                one        boolean PRIMARY KEY DEFAULT true CHECK (one),
                                generation bigint  NOT NULL
                            )""",
                            "INSERT INTO vivarium_deploy_generation (generation) VALUES (0)",
                            """
                            CREATE TABLE vivarium_deploy_nodes (
                                node_id    text        PRIMARY KEY,
                                generation bigint      NOT NULL,
                                seen_at    timestamptz NOT NULL,
                                started_at timestamptz NOT NULL
                            )"""));

    private DeploymentSchema() {}

    /**
     * Brings the schema to {@link #CURRENT}.
     *
     * @throws RepositoryUnavailableException if the schema is newer than this code
     */
    static void migrate(Connection c, String where)
            throws SQLException, RepositoryUnavailableException {
        Schema.checkServer(Schema.serverVersion(c), where);
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            s.execute(
                    """
                    CREATE TABLE IF NOT EXISTS vivarium_deploy_schema (
                        version     integer PRIMARY KEY,
                        applied_at  timestamptz NOT NULL DEFAULT now()
                    )""");
            int at = 0;
            try (ResultSet r = s.executeQuery("SELECT max(version) FROM vivarium_deploy_schema")) {
                if (r.next()) {
                    at = r.getInt(1);
                }
            }
            if (at > CURRENT) {
                throw new RepositoryUnavailableException(
                        "the deployments database at "
                                + where
                                + " has schema version "
                                + at
                                + " (table vivarium_deploy_schema), newer than this Vivarium's "
                                + CURRENT
                                + ": upgrade Vivarium on this node",
                        null);
            }
            for (int v = at + 1; v <= CURRENT; v++) {
                for (String ddl : VERSIONS.get(v - 1)) {
                    s.execute(ddl);
                }
                s.execute("INSERT INTO vivarium_deploy_schema (version) VALUES (" + v + ")");
            }
            c.commit();
        } catch (SQLException | RuntimeException | RepositoryUnavailableException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
