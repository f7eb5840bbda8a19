package dev.vivarium.kv.postgresql;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Runs work on a pooled connection, in a transaction or not, mapping failures to 503s. */
final class Tx {
    private Tx() {}

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction and commits it; rolls back if it throws (a broken limit
     * included). Work that changed nothing may roll back itself: the commit is then skipped.
     */
    static <T> T run(DataSource ds, Failures failures, String deploymentId, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
            }
        } catch (SQLException e) {
            throw deploymentId == null ? failures.of(e) : failures.of(deploymentId, e);
        }
    }

    /** Runs {@code work} outside a transaction (each statement commits by itself). */
    static <T> T read(DataSource ds, Failures failures, String deploymentId, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw failures.of(deploymentId, e);
        }
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            // the connection is broken; the server rolls the transaction back when it goes
            cause.addSuppressed(e);
        }
    }
}
