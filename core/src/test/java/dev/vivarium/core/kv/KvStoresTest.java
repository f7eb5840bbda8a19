package dev.vivarium.core.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class KvStoresTest {
    @TempDir Path dir;
    final MutableClock clock = new MutableClock();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    KvStores stores;

    KvStores open(KvOptions options) {
        stores = KvStores.open(options, clock, registry);
        return stores;
    }

    KvStores open() {
        return open(KvOptions.defaults(dir));
    }

    @AfterEach
    void close() {
        if (stores != null) {
            stores.close();
        }
    }

    static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void insertOverwritesAndReportsWhetherTheKeyWasAbsent() {
        KvStore kv = open().store("app");
        assertTrue(kv.insert("k", b("v1")));
        assertFalse(kv.insert("k", b("v2")));
        assertArrayEquals(b("v2"), kv.get("k"));
    }

    @Test
    void upsertInsertsOnlyIfAbsentAndLeavesTheExistingValue() {
        KvStore kv = open().store("app");
        assertTrue(kv.upsert("k", b("u1")));
        assertFalse(kv.upsert("k", b("u2")));
        assertArrayEquals(b("u1"), kv.get("k"));
    }

    @Test
    void appendConcatenatesOrInserts() {
        KvStore kv = open().store("app");
        assertTrue(kv.append("k", b("a")));
        assertFalse(kv.append("k", b("b")));
        assertArrayEquals(b("ab"), kv.get("k"));
    }

    @Test
    void removeReportsWhetherTheKeyWasThereAndEmptyValuesAreValues() {
        KvStore kv = open().store("app");
        assertTrue(kv.insert("empty", new byte[0]));
        assertArrayEquals(new byte[0], kv.get("empty"));
        assertTrue(kv.remove("empty"));
        assertFalse(kv.remove("empty"));
        assertNull(kv.get("empty"));
    }

    @Test
    void storesSurviveARestartWithTheSameData() {
        open().store("app").insert("k", b("v"));
        stores.close();
        KvStore reopened = open().store("app");
        assertArrayEquals(b("v"), reopened.get("k"));
        assertEquals(1, stores.stats("app").keys());
        assertEquals(2, stores.stats("app").bytes());
    }

    @Test
    void deploymentsNeverSeeEachOthersKeysWhateverTheIdsLookLike() {
        open();
        List<String> ids = List.of("a", "A", "../a", "a/b", "a%2Fb", "a.db", "ünï cödé", ".");
        for (String id : ids) {
            stores.store(id).insert("k", b(id));
        }
        for (String id : ids) {
            assertArrayEquals(b(id), stores.store(id).get("k"), id);
        }
        assertEquals(ids.stream().sorted().toList(), stores.deployments());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(ids.size(), files.count(), "one directory per deployment, all inside");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anInterruptedCallerStopsWaitingAndNeverBreaksTheStore() {
        // The watchdog interrupts request threads at their deadline. MapDB's file channels close
        // for good when an interrupt meets them (e.g. while starting a write-ahead log file), so
        // writes run on writer threads: the interrupted caller stops waiting at once, the write
        // completes in the background, and the store goes on working.
        KvStore kv = open().store("app");
        kv.insert("a", b("1"));
        int stopped = 0;
        Thread.currentThread().interrupt();
        try {
            assertArrayEquals(b("1"), kv.get("a"), "reads need no file channel");
            for (int i = 0; i < 40; i++) {
                try {
                    kv.insert("big" + i, new byte[100_000]);
                } catch (KvUnavailableException e) {
                    assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
                    stopped++;
                }
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept");
            }
        } finally {
            Thread.interrupted();
        }
        assertEquals(40, stopped, "no interrupted caller waited for a commit");
        assertTrue(kv.insert("c", b("3")));
        assertArrayEquals(b("3"), kv.get("c"));
        stores.close();
        assertArrayEquals(b("3"), open().store("app").get("c"));
    }

    @Test
    void rejectsIdsThatCannotNameAStore() {
        open();
        assertThrows(IllegalArgumentException.class, () -> stores.store(""));
        assertThrows(IllegalArgumentException.class, () -> stores.store("x".repeat(201)));
    }

    @Test
    void expiredKeysAreNeverReturnedAndArePurged() {
        KvStore kv = open().store("app");
        assertTrue(kv.insertWithTtl("t", b("v"), java.time.Duration.ofSeconds(10)));
        kv.insert("forever", b("f"));
        clock.advance(java.time.Duration.ofSeconds(9));
        assertArrayEquals(b("v"), kv.get("t"));
        clock.advance(java.time.Duration.ofSeconds(1));
        assertNull(kv.get("t"), "expired exactly at its TTL");
        assertEquals(List.of("forever"), stores.keys("app", 10));
        assertEquals(2, stores.stats("app").keys(), "still held until purged");

        KvStores.ExpiryRun run = stores.runExpiry();
        assertEquals(1, run.purgedKeys());
        assertEquals(1, stores.stats("app").keys());
        assertEquals(8, stores.stats("app").bytes());
        assertArrayEquals(b("f"), kv.get("forever"));
    }

    @Test
    void anExpiredKeyCountsAsAbsentForEveryWrite() {
        KvStore kv = open().store("app");
        java.time.Duration ttl = java.time.Duration.ofMillis(1);
        kv.insertWithTtl("i", b("x"), ttl);
        kv.insertWithTtl("u", b("x"), ttl);
        kv.insertWithTtl("a", b("x"), ttl);
        kv.insertWithTtl("r", b("x"), ttl);
        clock.advance(ttl);
        assertTrue(kv.insert("i", b("new")));
        assertTrue(kv.upsert("u", b("new")));
        assertTrue(kv.append("a", b("new")));
        assertFalse(kv.remove("r"));
        assertArrayEquals(b("new"), kv.get("a"));
        clock.advance(java.time.Duration.ofDays(1));
        assertArrayEquals(b("new"), kv.get("i"), "a plain insert drops the old TTL");
        assertArrayEquals(b("new"), kv.get("a"), "an append to an expired key starts fresh");
        assertEquals(0, stores.runExpiry().purgedKeys());
    }

    @Test
    void appendKeepsTheTimeToLive() {
        KvStore kv = open().store("app");
        kv.insertWithTtl("k", b("a"), java.time.Duration.ofSeconds(5));
        kv.append("k", b("b"));
        assertArrayEquals(b("ab"), kv.get("k"));
        clock.advance(java.time.Duration.ofSeconds(5));
        assertNull(kv.get("k"));
    }

    @Test
    void expiryDeletesStoresWhoseLifetimeEndedWithTheirFilesAndTellsListeners() {
        open();
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        stores.onExpired(told::add);
        KvStore upload = stores.create("upload", java.time.Duration.ofMinutes(5));
        upload.insert("k", b("v"));
        stores.store("static").insert("k", b("v"));
        assertNotNull(stores.stats("upload").expiresAt());

        clock.advance(java.time.Duration.ofMinutes(4));
        assertEquals(List.of(), stores.runExpiry().deletedStores());
        clock.advance(java.time.Duration.ofMinutes(1));
        assertEquals(List.of("upload"), stores.runExpiry().deletedStores());

        assertEquals(List.of("upload"), told);
        assertEquals(List.of("static"), stores.deployments());
        assertFalse(Files.exists(dir.resolve("upload")));
        KvUnavailableException e =
                assertThrows(KvUnavailableException.class, () -> upload.get("k"));
        assertTrue(e.getMessage().contains("lifetime ended"), e.getMessage());
        assertNull(registry.find("vivarium.kv.keys").tag("deployment", "upload").gauge());
    }

    @Test
    void theExpiryThreadRunsEveryPurgeInterval() throws InterruptedException {
        open(KvOptions.builder(dir).purgeInterval(java.time.Duration.ofMillis(20)).build());
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        stores.onExpired(told::add);
        stores.create("upload", java.time.Duration.ofMinutes(5)).insert("k", b("v"));
        stores.store("app").insertWithTtl("t", b("v"), java.time.Duration.ofSeconds(1));
        clock.advance(java.time.Duration.ofMinutes(5));
        long giveUp = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while ((told.isEmpty() || stores.stats("app").keys() > 0) && System.nanoTime() < giveUp) {
            Thread.sleep(10);
        }
        assertEquals(List.of("upload"), told);
        assertEquals(1, stores.stats("app").purgedKeys());
    }

    @Test
    void aLifetimeSurvivesARestartAndIsEnforcedForStoresNotOpenedAgain() {
        open().create("upload", java.time.Duration.ofMinutes(5)).insert("k", b("v"));
        stores.close();
        open();
        assertEquals(List.of("upload"), stores.deployments());
        clock.advance(java.time.Duration.ofMinutes(5));
        assertEquals(List.of("upload"), stores.runExpiry().deletedStores());
        assertEquals(List.of(), stores.deployments());
    }

    @Test
    void operatorsListGetClearAndDelete() {
        open();
        KvStore kv = stores.store("app");
        kv.insert("b", b("2"));
        kv.insert("a", b("1"));
        assertEquals(List.of("a", "b"), stores.keys("app", 10));
        assertEquals(1, stores.keys("app", 1).size());
        assertArrayEquals(b("1"), stores.get("app", "a"));

        stores.clear("app");
        assertEquals(List.of(), stores.keys("app", 10));
        assertEquals(0, stores.stats("app").bytes());

        kv.insert("c", b("3"));
        assertTrue(stores.delete("app"));
        assertFalse(Files.exists(dir.resolve("app")));
        assertNull(kv.get("c"), "the deployment goes on with a new, empty store");
        assertTrue(kv.insert("c", b("3")));
        assertFalse(stores.delete("nothing"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> stores.stats("nothing"));
        assertTrue(e.getMessage().contains("no KV store for deployment 'nothing'"));
    }

    @Test
    void countsOperationsAsMetersTaggedWithTheDeployment() {
        open();
        KvStore kv = stores.store("app");
        kv.insert("k", b("v"));
        kv.get("k");
        kv.get("missing");
        kv.append("k", b("w"));
        KvStats s = stores.stats("app");
        assertEquals(2, s.gets());
        assertEquals(1, s.hits());
        assertEquals(1, s.misses());
        assertEquals(1, s.inserts());
        assertEquals(1, s.appends());
        assertEquals(2, s.commits());
        assertEquals(
                1.0,
                registry.get("vivarium.kv.lookups")
                        .tags("deployment", "app", "result", "miss")
                        .functionCounter()
                        .count());
        assertEquals(
                1.0,
                registry.get("vivarium.kv.operations")
                        .tags("deployment", "app", "operation", "insert")
                        .functionCounter()
                        .count());
        assertEquals(
                3.0, registry.get("vivarium.kv.bytes").tag("deployment", "app").gauge().value());
        assertEquals(1.0, registry.get("vivarium.kv.stores").gauge().value());
    }

    @Test
    void aSecondEngineOnTheSameDirectoryCanNeitherOpenNorDeleteAStoreInUse() {
        KvStore mine = open().store("app");
        mine.insert("k", b("v"));
        try (KvStores other = KvStores.open(KvOptions.defaults(dir), clock, registry)) {
            KvUnavailableException e =
                    assertThrows(KvUnavailableException.class, () -> other.store("app"));
            assertTrue(e.getMessage().contains("is in use elsewhere"), e.getMessage());
            e = assertThrows(KvUnavailableException.class, () -> other.delete("app"));
            assertTrue(e.getMessage().contains("is in use elsewhere"), e.getMessage());
        }
        assertTrue(mine.insert("k2", b("w")), "the store and its files are intact");
        assertArrayEquals(b("v"), mine.get("k"));
    }

    @Test
    void anOpenInterruptedByTheDeadlineDoesNotLeaveTheStoreLocked() throws Exception {
        KvStore handle = open().store("app");
        handle.insert("k", b("1"));
        stores.delete("app"); // an operator's delete: the handle reopens on next use
        Thread.currentThread().interrupt(); // the watchdog, while the store opens
        assertThrows(KvUnavailableException.class, () -> handle.insert("k", b("2")));
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        // the abandoned open is closed once it finishes, without waiting for a GC
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (true) {
            try {
                assertTrue(handle.insert("k", b("3")));
                break;
            } catch (KvUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
        assertArrayEquals(b("3"), stores.store("app").get("k"));
    }

    @Test
    void afterAFailedCommitTheStoreIsOpenedAgainAndNeverShowsTheFailedWrite() throws Exception {
        KvStore kv = open().store("app");
        kv.insert("k", b("committed"));
        // the disk fails under the open store: its directory goes, and a file takes its name,
        // so opening it again fails too
        Path store = dir.resolve("app");
        try (var files = java.nio.file.Files.walk(store)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        java.nio.file.Files.writeString(store, "in the way");
        assertThrows(KvUnavailableException.class, () -> kv.insert("k", b("never committed")));
        assertThrows(
                KvUnavailableException.class,
                () -> kv.get("k"),
                "the failed store does not answer reads with what it could not commit");
        // the disk is back: the next operation opens the store again, without a restart
        java.nio.file.Files.delete(store);
        assertTrue(kv.insert("k2", b("v")));
        assertArrayEquals(b("v"), kv.get("k2"));
        assertNull(kv.get("k"), "what was on the lost disk is gone, nothing else appears");
    }

    @Test
    void aWriteWhoseCommitFailedIsRetriedOnceOnTheStoreOpenedAgain() throws Exception {
        KvStore kv = open().store("app");
        kv.insert("k", b("1"));
        try (var files = java.nio.file.Files.walk(dir.resolve("app"))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertTrue(kv.append("log", b("a")), "applied once, to the store opened again");
        assertArrayEquals(b("a"), kv.get("log"));
    }

    @Test
    void aStoreWhoseFilesAreCorruptCanStillBeDeleted() throws Exception {
        open().store("app").insert("k", b("v"));
        stores.close();
        Path db = dir.resolve("app").resolve("store.db");
        java.nio.file.Files.write(db, b("not a MapDB file at all"));
        KvStores reopened = open();
        assertThrows(KvUnavailableException.class, () -> reopened.get("app", "k"));
        assertTrue(reopened.delete("app"), "an operator's way out of a broken store");
        assertFalse(java.nio.file.Files.exists(dir.resolve("app")));
        assertNull(reopened.store("app").get("k"), "a new, empty store");
    }
}
