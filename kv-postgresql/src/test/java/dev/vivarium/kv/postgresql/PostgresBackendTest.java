package dev.vivarium.kv.postgresql;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.kv.KvUnavailableException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

/** What only this backend does: its settings, its schema, its errors at start. */
@Timeout(60)
class PostgresBackendTest {
    final TestPostgres db = TestPostgres.shared();
    final List<KvStores> opened = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(KvStores::close);
    }

    KvStores open(Map<String, String> settings) {
        KvOptions.Builder b = KvOptions.builder(Path.of("unused")).backend(PostgresBackend.NAME);
        settings.forEach(b::backendSetting);
        KvStores s = KvStores.open(b.build(), Clock.systemUTC(), new SimpleMeterRegistry());
        opened.add(s);
        return s;
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void anUnreachableDatabaseFailsTheStartNamingItWithoutThePasswordAndWhatToCheck()
            throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + freePort() + "/vivarium?password=secret1";
        KvUnavailableException e =
                assertThrows(
                        KvUnavailableException.class,
                        () ->
                                open(
                                        Map.of(
                                                PgSettings.URL, url,
                                                PgSettings.USER, "vivarium",
                                                PgSettings.PASSWORD, "secret2",
                                                PgSettings.TIMEOUT, "500ms")));
        String m = e.getMessage();
        assertTrue(m.startsWith("the KV backend 'postgresql' cannot use its database"), m);
        assertTrue(m.contains(url.replace("secret1", "***") + " (user vivarium)"), m);
        assertTrue(m.contains("within kv.jdbc.timeout (500ms)"), m);
        assertTrue(m.contains("Check that PostgreSQL runs and accepts connections there"), m);
        assertTrue(m.contains("kv.jdbc.url, kv.jdbc.user and kv.jdbc.password"), m);
        assertFalse(m.contains("secret"), m);
    }

    @Test
    void theSchemaIsCreatedOnceByNodesStartingTogetherAndRecordsItsVersion() throws Exception {
        String url = db.freshSchema();
        String schema = url.substring(url.indexOf('=') + 1);
        int nodes = 4;
        ExecutorService pool = Executors.newFixedThreadPool(nodes);
        try {
            CyclicBarrier start = new CyclicBarrier(nodes);
            List<Future<KvStores>> done = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                done.add(
                        pool.submit(
                                () -> {
                                    start.await(10, TimeUnit.SECONDS);
                                    return open(
                                            Map.of(
                                                    PgSettings.URL,
                                                    url,
                                                    PgSettings.USER,
                                                    "postgres"));
                                }));
            }
            for (Future<KvStores> f : done) {
                f.get(30, TimeUnit.SECONDS).store("app").append("k", "x".getBytes(UTF_8));
            }
        } finally {
            pool.shutdownNow();
        }
        assertArrayEquals("xxxx".getBytes(UTF_8), opened.get(0).get("app", "k"));
        db.sql(
                "DO $$ BEGIN IF (SELECT count(*) FROM "
                        + schema
                        + ".vivarium_kv_schema) <> "
                        + Schema.CURRENT
                        + " OR (SELECT max(version) FROM "
                        + schema
                        + ".vivarium_kv_schema) <> "
                        + Schema.CURRENT
                        + " THEN RAISE EXCEPTION 'schema versions'; END IF; END $$");
    }

    @Test
    void aSchemaNewerThanThisVivariumIsRefusedAtStart() {
        String url = db.freshSchema();
        String schema = url.substring(url.indexOf('=') + 1);
        open(Map.of(PgSettings.URL, url, PgSettings.USER, "postgres")).close();
        db.sql("INSERT INTO " + schema + ".vivarium_kv_schema (version) VALUES (99)");
        KvUnavailableException e =
                assertThrows(
                        KvUnavailableException.class,
                        () -> open(Map.of(PgSettings.URL, url, PgSettings.USER, "postgres")));
        assertTrue(
                e.getMessage()
                        .contains(
                                "has schema version 99 (table vivarium_kv_schema), newer than this"
                                        + " Vivarium's "
                                        + Schema.CURRENT
                                        + ": upgrade Vivarium on this node"),
                e.getMessage());
    }

    @Test
    void aServerOlderThanPostgres12IsRefusedNamingBothVersions() {
        KvUnavailableException e =
                assertThrows(KvUnavailableException.class, () -> Schema.checkServer(110022, "db"));
        assertEquals(
                "the KV database at db runs PostgreSQL 11.22; kv.backend=postgresql needs"
                        + " PostgreSQL 12 or newer",
                e.getMessage());
        Schema.checkServer(120000, "db");
        assertEquals("9.6.24", Schema.describe(90624));
        assertEquals("14.22", Schema.describe(140022));
    }

    @Test
    void aJndiDataSourceIsFoundAsGivenOrUnderJavaCompEnv() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.freshSchema());
        ds.setUser("postgres");
        TestJndi.bind("java:comp/env/jdbc/vivarium-kv", ds);
        KvStores s = open(Map.of(PgSettings.DATA_SOURCE, "jdbc/vivarium-kv"));
        s.store("app").insert("k", "v".getBytes(UTF_8));
        assertArrayEquals("v".getBytes(UTF_8), s.get("app", "k"));
        assertTrue(s.health().reachable());
        assertTrue(
                s.health().detail().endsWith("at the JNDI DataSource 'jdbc/vivarium-kv'"),
                s.health().detail());
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> open(Map.of(PgSettings.DATA_SOURCE, "jdbc/missing")));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "Vivarium setting 'kv.jdbc.dataSource': no DataSource named"
                                        + " 'jdbc/missing' in JNDI"),
                e.getMessage());
    }

    @Test
    void theSettingsAreDeclaredReadAndCheckedWithMessagesNamingThem() {
        VivariumOptions o =
                VivariumOptions.parse(
                        Map.of(
                                "kv.backend", "postgresql",
                                "kv.jdbc.url", "jdbc:postgresql://db/kv",
                                "kv.jdbc.poolSize", "4",
                                "kv.jdbc.timeout", "1500ms"),
                        Path.of("guests"),
                        Path.of("kv"));
        PgSettings s = PgSettings.parse(o.kv().backendSettings());
        assertEquals(4, s.poolSize());
        assertEquals(1500, s.timeout().toMillis());
        assertEquals("jdbc:postgresql://db/kv", s.where());
        assertThrows(
                ConfigurationException.class,
                () ->
                        VivariumOptions.parse(
                                Map.of("kv.backend", "postgresql", "kv.jdbc.uri", "x"),
                                Path.of("guests"),
                                Path.of("kv")),
                "a misspelt setting is refused");

        assertEquals(
                "Vivarium setting 'kv.jdbc.url' (or 'kv.jdbc.dataSource', a JNDI DataSource name)"
                        + " is required with kv.backend=postgresql, e.g."
                        + " jdbc:postgresql://db.example.com:5432/vivarium",
                bad(Map.of()));
        assertTrue(
                bad(Map.of(PgSettings.URL, "jdbc:mysql://db/kv?password=p"))
                        .contains("jdbc:mysql://db/kv?password=***"));
        assertTrue(
                bad(Map.of(PgSettings.URL, "jdbc:postgresql://db/kv", PgSettings.TIMEOUT, "100ms"))
                        .contains("from 250ms to 5m, below the request deadline"));
        assertTrue(
                bad(Map.of(PgSettings.URL, "jdbc:postgresql://db/kv", PgSettings.POOL_SIZE, "0"))
                        .contains("kv.jdbc.poolSize"));
        assertTrue(
                bad(Map.of(PgSettings.URL, "jdbc:postgresql://x/y", PgSettings.DATA_SOURCE, "d"))
                        .contains("are both set; give one"));
    }

    static String bad(Map<String, String> settings) {
        return assertThrows(ConfigurationException.class, () -> PgSettings.parse(settings))
                .getMessage();
    }
}
