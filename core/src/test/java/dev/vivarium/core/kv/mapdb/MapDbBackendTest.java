package dev.vivarium.core.kv.mapdb;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvBackendContract;
import dev.vivarium.core.kv.KvHealth;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStats;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.kv.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only the MapDB backend does: its files, its lock, its writer threads, its commits, and how
 * it recovers from a disk that fails under it. The behaviour every backend shares is in {@link
 * KvBackendContract} ({@link MapDbContractTest}).
 */
@Timeout(60)
class MapDbBackendTest {
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

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> files = Files.walk(p)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Test
    void mapdbIsTheDefaultBackend() {
        assertEquals(MapDbBackend.NAME, KvOptions.defaults(dir).backend());
        assertEquals("mapdb", open().backendName());
    }

    @Test
    void eachDeploymentHasItsOwnDirectoryInsideKvDirectory() throws IOException {
        open();
        List<String> ids = List.of("a", "A", "../a", "a/b", "a%2Fb", "a.db", "ünï cödé", ".");
        for (String id : ids) {
            stores.store(id).insert("k", b(id));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(ids.size(), files.count(), "one directory per deployment, all inside");
        }
    }

    @Test
    void rejectsIdsTooLongForAFileName() {
        open();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> stores.store("x".repeat(201)));
        assertTrue(e.getMessage().contains("too long for a KV store name"), e.getMessage());
    }

    @Test
    void aKvDirectoryThatIsAFileFailsAtStartNamingTheSetting() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        ConfigurationException e =
                assertThrows(ConfigurationException.class, () -> open(KvOptions.defaults(file)));
        assertEquals(
                "Vivarium setting 'kv.directory': " + file.toAbsolutePath() + " is not a directory",
                e.getMessage());
    }

    @Test
    void healthSaysWhetherKvDirectoryIsUsable() throws IOException {
        KvHealth h = open(KvOptions.defaults(dir.resolve("not/yet"))).health();
        assertTrue(h.reachable(), "created with the first store: " + h.detail());
        stores.close();
        Path file = Files.writeString(dir.resolve("file"), "x");
        MapDbBackend backend = MapDbBackend.open(KvOptions.defaults(file.resolve("sub")));
        assertFalse(backend.health().reachable(), backend.health().detail());
        backend.close();
        stores = null;
    }

    @Test
    void eachWriteIsACommitAndConcurrentWritersShareCommits() throws Exception {
        KvStore kv = open().store("app");
        kv.insert("k", b("v"));
        kv.append("k", b("w"));
        assertEquals(2, stores.stats("app").commits(), "one commit per lone write");
        KvBackendContract.race(20, (t, i) -> kv.insert("k" + t + "-" + i, new byte[8]));
        KvStats s = stores.stats("app");
        assertEquals(16 * 20 + 1, s.keys());
        assertTrue(
                s.commits() < s.inserts(),
                "group commit: " + s.commits() + " commits for " + s.inserts() + " writes");
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
    void aDeletedStoreLeavesNoFiles() {
        open().store("app").insert("k", b("v"));
        assertTrue(stores.delete("app"));
        assertFalse(Files.exists(dir.resolve("app")));
        stores.create("upload", java.time.Duration.ofMinutes(1)).insert("k", b("v"));
        clock.advance(java.time.Duration.ofMinutes(1));
        assertEquals(List.of("upload"), stores.runExpiry().deletedStores());
        assertFalse(Files.exists(dir.resolve("upload")));
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
        deleteTree(store);
        Files.writeString(store, "in the way");
        assertThrows(KvUnavailableException.class, () -> kv.insert("k", b("never committed")));
        assertThrows(
                KvUnavailableException.class,
                () -> kv.get("k"),
                "the failed store does not answer reads with what it could not commit");
        // the disk is back: the next operation opens the store again, without a restart
        Files.delete(store);
        assertTrue(kv.insert("k2", b("v")));
        assertArrayEquals(b("v"), kv.get("k2"));
        assertNull(kv.get("k"), "what was on the lost disk is gone, nothing else appears");
    }

    @Test
    void aWriteWhoseCommitFailedIsRetriedOnceOnTheStoreOpenedAgain() throws Exception {
        KvStore kv = open().store("app");
        kv.insert("k", b("1"));
        deleteTree(dir.resolve("app"));
        assertTrue(kv.append("log", b("a")), "applied once, to the store opened again");
        assertArrayEquals(b("a"), kv.get("log"));
    }

    @Test
    void aStoreWhoseFilesAreCorruptCanStillBeDeleted() throws Exception {
        open().store("app").insert("k", b("v"));
        stores.close();
        Path db = dir.resolve("app").resolve("store.db");
        Files.write(db, b("not a MapDB file at all"));
        KvStores reopened = open();
        assertThrows(KvUnavailableException.class, () -> reopened.get("app", "k"));
        assertTrue(reopened.delete("app"), "an operator's way out of a broken store");
        assertFalse(Files.exists(dir.resolve("app")));
        assertNull(reopened.store("app").get("k"), "a new, empty store");
    }
}
