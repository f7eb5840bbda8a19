package dev.vivarium.kv.postgresql;

import dev.vivarium.core.kv.KvUnavailableException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * Turns a database failure into the {@link KvUnavailableException} the engine answers 503 for, with
 * a message for the server log that says what failed and where (never the password); the client
 * sees only {@link KvUnavailableException#clientMessage()}.
 */
final class Failures {
    private final String where;
    private final String timeout;

    Failures(PgSettings settings) {
        this.where = settings.where();
        this.timeout = Durations.text(settings.timeout());
    }

    /** For an operation on the store of {@code deploymentId}. */
    KvUnavailableException of(String deploymentId, SQLException e) {
        return new KvUnavailableException(
                "the KV store of deployment '" + deploymentId + "' is unavailable: " + why(e), e);
    }

    /** For a call that concerns no single store (listing, health). */
    KvUnavailableException of(SQLException e) {
        return new KvUnavailableException(
                "the KV backend 'postgresql' is unavailable: " + why(e), e);
    }

    /** What went wrong, in words an operator can act on. */
    String why(SQLException e) {
        String state = e.getSQLState();
        if (e instanceof SQLTransientConnectionException || isConnection(state)) {
            return "cannot reach the database at "
                    + where
                    + " within kv.jdbc.timeout ("
                    + timeout
                    + "): "
                    + message(e);
        }
        if ("57014".equals(state)) {
            return "the database at "
                    + where
                    + " did not answer within kv.jdbc.timeout ("
                    + timeout
                    + ")";
        }
        if ("55P03".equals(state)) {
            return "a row lock was not granted within kv.jdbc.timeout (" + timeout + ")";
        }
        return "the database at " + where + " failed: " + message(e);
    }

    /** Connection exceptions (08), an operator or crash shutdown (57P01..57P03), no pool. */
    private static boolean isConnection(String state) {
        return state != null
                && (state.startsWith("08")
                        || state.equals("57P01")
                        || state.equals("57P02")
                        || state.equals("57P03"));
    }

    private static String message(SQLException e) {
        Throwable t = e;
        // HikariCP wraps the driver's exception; the driver's is the one that says why
        while (t.getCause() != null && t.getCause() != t && t.getCause() instanceof SQLException) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (m == null) {
            m = t.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return PgSettings.redact(nl < 0 ? m : m.substring(0, nl));
    }
}
