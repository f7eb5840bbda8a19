package dev.vivarium.kv.postgresql;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code kv.jdbc.*} settings of the PostgreSQL backend: where the database is ({@code
 * kv.jdbc.url} with user and password, or a JNDI {@code DataSource} named by {@code
 * kv.jdbc.dataSource}), how many connections a node keeps, and how long any one database call may
 * take.
 *
 * @param url the JDBC URL ({@code jdbc:postgresql://host:port/database}), or null with a data
 *     source
 * @param user the database user, or null (the URL's, or the driver's default)
 * @param password the password, or null
 * @param dataSource the JNDI name of a {@code javax.sql.DataSource}, or null with a URL
 * @param poolSize most connections this node opens
 * @param timeout longest wait for a connection, a statement or a commit
 */
record PgSettings(
        String url,
        String user,
        String password,
        String dataSource,
        int poolSize,
        Duration timeout) {
    static final String URL = "kv.jdbc.url";
    static final String USER = "kv.jdbc.user";
    static final String PASSWORD = "kv.jdbc.password";
    static final String DATA_SOURCE = "kv.jdbc.dataSource";
    static final String POOL_SIZE = "kv.jdbc.poolSize";
    static final String TIMEOUT = "kv.jdbc.timeout";

    /** Every setting of the backend, as {@code KvBackendProvider.settings()} declares them. */
    static final List<String> NAMES = List.of(URL, USER, PASSWORD, DATA_SOURCE, POOL_SIZE, TIMEOUT);

    static final int DEFAULT_POOL_SIZE = 10;

    /** Well below the default request {@code deadline} (10s), so a request can still answer. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    /** HikariCP waits at least this long for a connection. */
    static final Duration MIN_TIMEOUT = Duration.ofMillis(250);

    static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);

    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)([?&;]password=)[^&;]*");

    /**
     * Reads the settings a backend was given.
     *
     * @throws ConfigurationException naming the setting that is missing, malformed or out of range
     */
    static PgSettings parse(Map<String, String> given) {
        String url = value(given, URL);
        String dataSource = value(given, DATA_SOURCE);
        if (url == null && dataSource == null) {
            throw new ConfigurationException(
                    "Vivarium setting '"
                            + URL
                            + "' (or '"
                            + DATA_SOURCE
                            + "', a JNDI DataSource name) is required with kv.backend="
                            + PostgresBackend.NAME
                            + ", e.g. jdbc:postgresql://db.example.com:5432/vivarium");
        }
        if (url != null && dataSource != null) {
            throw new ConfigurationException(
                    "Vivarium settings '"
                            + URL
                            + "' and '"
                            + DATA_SOURCE
                            + "' are both set; give one: the database's URL or a JNDI DataSource");
        }
        if (url != null && !url.startsWith("jdbc:postgresql:")) {
            throw Settings.bad(
                    URL,
                    redact(url),
                    "a PostgreSQL JDBC URL: jdbc:postgresql://host:port/database");
        }
        String pool = value(given, POOL_SIZE);
        int poolSize =
                pool == null ? DEFAULT_POOL_SIZE : Settings.parseInt(POOL_SIZE, pool, 1, 1000);
        String time = value(given, TIMEOUT);
        Duration timeout = time == null ? DEFAULT_TIMEOUT : Settings.parseDuration(TIMEOUT, time);
        if (timeout.compareTo(MIN_TIMEOUT) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw Settings.bad(
                    TIMEOUT, time, "from 250ms to 5m, below the request deadline (default 10s)");
        }
        return new PgSettings(
                url, value(given, USER), value(given, PASSWORD), dataSource, poolSize, timeout);
    }

    /** A given setting, or null when it is absent or blank. */
    private static String value(Map<String, String> given, String name) {
        String v = given.get(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** The URL with any {@code password=} parameter masked, for messages and logs. */
    static String redact(String url) {
        return PASSWORD_PARAM.matcher(url).replaceAll("$1***");
    }

    /** Where the data is, for messages: the URL (no password) and user, or the JNDI name. */
    String where() {
        if (url == null) {
            return "the JNDI DataSource '" + dataSource + "'";
        }
        return redact(url) + (user == null ? "" : " (user " + user + ")");
    }

    @Override
    public String toString() {
        return "PgSettings[" + where() + ", poolSize=" + poolSize + ", timeout=" + timeout + "]";
    }
}
