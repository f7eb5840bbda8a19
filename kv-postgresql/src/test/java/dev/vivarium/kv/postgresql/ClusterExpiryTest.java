package dev.vivarium.kv.postgresql;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.kv.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * KV expiry with {@code kv.backend=postgresql} on two nodes (two {@link KvStores}, each with its
 * own pool, on one real PostgreSQL): the pass runs once for the cluster, under one advisory lock;
 * it purges the expired keys of every store, also those no node has open; a store whose lifetime
 * ended is deleted once and every node closes its store object; and the keys a late write leaves in
 * a store deleted through another node (a request that node 2 still ran) are deleted by the next
 * pass, so no row outlives its deployment.
 */
@Timeout(120)
class ClusterExpiryTest {
    final MutableClock clock = new MutableClock();
    final List<KvStores> nodes = new ArrayList<>();
    String url;

    @BeforeEach
    void startNodes() {
        url = TestPostgres.shared().freshSchema();
        for (int n = 0; n < 2; n++) {
            KvOptions kv =
                    KvOptions.builder(Path.of("unused"))
                            .backend(PostgresBackend.NAME)
                            .backendSetting(PgSettings.URL, url)
                            .backendSetting(PgSettings.USER, "postgres")
                            .backendSetting(PgSettings.POOL_SIZE, "1") // the pass needs only one
                            // the test runs every pass itself
                            .purgeInterval(Duration.ofHours(1))
                            .build();
            nodes.add(KvStores.open(kv, clock, new SimpleMeterRegistry()));
        }
    }

    @AfterEach
    void stopNodes() {
        nodes.forEach(KvStores::close);
    }

    KvStores node(int n) {
        return nodes.get(n - 1);
    }

    long count(String sql) {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    long rows(String deployment) {
        return count(
                "SELECT count(*) FROM vivarium_kv_entries WHERE deployment = '" + deployment + "'");
    }

    @Test
    void onePassForTheClusterPurgesTheExpiredKeysOfEveryStoreUnderOneLock() throws Exception {
        KvStore a = node(1).store("a");
        for (int i = 0; i < 10; i++) {
            a.insertWithTtl("k" + i, "v".getBytes(UTF_8), Duration.ofSeconds(1));
        }
        a.insert("kept", "v".getBytes(UTF_8));
        clock.advance(Duration.ofSeconds(2));
        // another node's pass holds the lock: neither node runs one
        try (Connection other = DriverManager.getConnection(url, "postgres", "");
                Statement s = other.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + Sql.EXPIRY_LOCK + ")");
            assertEquals(0, node(1).runExpiry().purgedKeys());
            assertEquals(0, node(2).runExpiry().purgedKeys());
            assertEquals(11, rows("a"), "nothing purged while the lock is held elsewhere");
            s.execute("SELECT pg_advisory_unlock(" + Sql.EXPIRY_LOCK + ")");
        }
        // node 2 never opened store a: its pass purges it anyway
        assertEquals(10, node(2).runExpiry().purgedKeys());
        assertEquals(0, node(1).runExpiry().purgedKeys(), "nothing left for the next pass");
        assertEquals(1, rows("a"));
        assertEquals("v", new String(a.get("kept"), UTF_8));
    }

    @Test
    void concurrentPassesOfTwoNodesPurgeEachKeyOnce() throws Exception {
        KvStore a = node(1).store("a");
        KvStore b = node(2).store("b");
        for (int i = 0; i < 300; i++) {
            a.insertWithTtl("k" + i, new byte[8], Duration.ofSeconds(1));
            b.insertWithTtl("k" + i, new byte[8], Duration.ofSeconds(1));
        }
        clock.advance(Duration.ofSeconds(2));
        long[] purged = new long[2];
        for (int round = 0; round < 3; round++) {
            Thread t = new Thread(() -> purged[1] += node(2).runExpiry().purgedKeys());
            t.start();
            purged[0] += node(1).runExpiry().purgedKeys();
            t.join();
        }
        assertEquals(600, purged[0] + purged[1], "every expired key purged once: " + purged[0]);
        assertEquals(0, count("SELECT count(*) FROM vivarium_kv_entries"));
    }

    @Test
    void aStoreWhoseLifetimeEndedIsDeletedOnceAndEveryNodeClosesItsStore() {
        List<String> told1 = new CopyOnWriteArrayList<>();
        List<String> told2 = new CopyOnWriteArrayList<>();
        node(1).onExpired(told1::add);
        node(2).onExpired(told2::add);
        node(1).create("short", Duration.ofMinutes(1)).insert("x", new byte[1]);
        KvStore onTwo = node(2).store("short");
        node(2).expireAfter("short", Duration.ofMinutes(1));
        assertEquals(1, onTwo.get("x").length);
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of("short"), node(1).runExpiry().deletedStores());
        assertEquals(List.of("short"), node(2).runExpiry().deletedStores(), "closed on node 2");
        assertEquals(List.of("short"), told1);
        assertEquals(List.of("short"), told2);
        assertEquals(0, rows("short"));
        assertFalse(node(2).deployments().contains("short"));
        assertThrows(KvUnavailableException.class, () -> onTwo.get("x"));
        assertEquals(List.of(), node(2).runExpiry().deletedStores(), "deleted once");
    }

    @Test
    void keysALateRequestWroteToAStoreDeletedThroughAnotherNodeAreDeletedByTheNextPass() {
        node(1).create("gone", Duration.ofHours(1)).insert("before", new byte[4]);
        KvStore stillRunningOnTwo = node(2).store("gone");
        // node 1 removes the deployment with its store; node 2 has not heard yet
        assertTrue(node(1).deleteWithDeployment("gone"));
        assertEquals(0, rows("gone"));
        stillRunningOnTwo.insert("late", new byte[4]);
        assertEquals(1, rows("gone"), "the late write landed");
        assertFalse(node(1).deployments().contains("gone"), "a deleted store is not listed");
        node(2).runExpiry();
        assertEquals(0, rows("gone"), "no row outlives the deployment");
        // node 2 hears of the removal: its store object closes, nothing more reaches the database
        node(2).release("gone");
        assertThrows(
                KvUnavailableException.class, () -> stillRunningOnTwo.insert("later", new byte[1]));
        assertEquals(0, rows("gone"));
        // a new deployment with the id starts empty
        KvStore fresh = node(1).store("gone");
        assertNull(fresh.get("before"));
        fresh.insert("new", new byte[1]);
        assertEquals(1, node(2).store("gone").get("new").length);
    }
}
