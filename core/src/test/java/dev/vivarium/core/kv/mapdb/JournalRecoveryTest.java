package dev.vivarium.core.kv.mapdb;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.StoreClosed;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a store holds after a crash at each stage of the journal's life: acknowledged writes only in
 * the journal, after a checkpoint, with a torn last record, and in the window between a
 * checkpoint's MapDB commit and new records. A crash is a copy of the store's files taken while it
 * is open: what {@code kill -9} leaves (the page cache survives it; a power loss is {@link
 * KvCrashTest}'s and the syncs' business). {@link KvCrashTest} kills a real process.
 */
@Timeout(60)
class JournalRecoveryTest {
    @TempDir Path dir;
    @TempDir Path crashed;
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close(); // stores before their backend
        }
    }

    /** A store whose journal is checkpointed only when the test says so. */
    MapDbKvStore store(Path root) {
        MapDbBackend backend = MapDbBackend.open(KvOptions.defaults(root), Duration.ofHours(1));
        MapDbKvStore store = (MapDbKvStore) backend.open("app");
        open.add(backend);
        open.add(() -> store.close(StoreClosed.CLOSED));
        return store;
    }

    /** The files of the open store as a crash at this moment leaves them. */
    Path crash() throws IOException {
        Path from = dir.resolve("app");
        Path to = crashed.resolve("app");
        try (Stream<Path> files = Files.list(from)) {
            Files.createDirectories(to);
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("lock")) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
        return to;
    }

    static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void acknowledgedWritesThatAreOnlyInTheJournalSurviveACrash() throws IOException {
        MapDbKvStore kv = store(dir);
        for (int i = 0; i < 50; i++) {
            kv.put("k" + i, b("v" + i), 0, false, 1);
        }
        kv.remove("k7", 1);
        kv.append("k8", b("+"), 1);
        kv.put("ttl", b("t"), 5_000, false, 1);
        assertTrue(kv.journalBytes() > 0, "no checkpoint yet: the writes are in the journal only");
        assertEquals(0, kv.epoch());
        crash();

        MapDbKvStore after = store(crashed);
        assertEquals(1, after.epoch(), "the replay was checkpointed on open");
        assertEquals(0, after.journalBytes());
        for (int i = 0; i < 50; i++) {
            byte[] expected = i == 7 ? null : b(i == 8 ? "v8+" : "v" + i);
            assertArrayEquals(expected, after.get("k" + i, 1), "k" + i);
        }
        assertArrayEquals(b("t"), after.get("ttl", 1));
        assertNull(after.get("ttl", 5_000), "its expiry came back too");
        assertEquals(50, after.keyCount(), "49 keys and ttl: the size accounting sees the replay");
    }

    @Test
    void aCheckpointPutsTheJournalIntoMapDb() throws IOException {
        MapDbKvStore kv = store(dir);
        kv.put("a", b("1"), 0, false, 1);
        kv.put("b", b("2"), 0, false, 1);
        kv.remove("b", 1);
        kv.checkpoint();
        assertEquals(0, kv.journalBytes());
        assertEquals(1, kv.epoch());
        assertArrayEquals(b("1"), kv.get("a", 1), "read from MapDB now");
        Path files = crash();
        Files.delete(files.resolve(Journal.FILE)); // MapDB alone must have everything

        MapDbKvStore after = store(crashed);
        assertArrayEquals(b("1"), after.get("a", 1));
        assertNull(after.get("b", 1));
    }

    @Test
    void recordsACheckpointTookAreNotReplayedOverNewerWrites() throws IOException {
        MapDbKvStore kv = store(dir);
        kv.put("k", b("a"), 0, false, 1);
        kv.put("k", b("b"), 0, false, 1);
        kv.checkpoint(); // MapDB: k=b; the file still holds the records k=a, k=b
        kv.put("k", b("c"), 0, false, 1); // overwrites k=a in place; k=b is intact behind it
        crash();
        assertArrayEquals(b("c"), store(crashed).get("k", 1), "k=b is of the older epoch");
    }

    @Test
    void aTornLastRecordIsAWriteNeverAcknowledged() throws IOException {
        MapDbKvStore kv = store(dir);
        kv.put("k", b("1"), 0, false, 1);
        kv.put("k", b("2"), 0, false, 1);
        long end = kv.journalBytes();
        Path files = crash();
        try (RandomAccessFile f =
                new RandomAccessFile(files.resolve(Journal.FILE).toFile(), "rw")) {
            f.setLength(end - 1); // the crash came during the second commit's sync
        }
        MapDbKvStore after = store(crashed);
        assertArrayEquals(b("1"), after.get("k", 1));
        after.put("k", b("3"), 0, false, 1);
        assertArrayEquals(b("3"), after.get("k", 1), "the store goes on from there");
    }

    @Test
    void theBackgroundCheckpointsAJournalWhoseWritesAreOldEnough() throws Exception {
        MapDbBackend backend = MapDbBackend.open(KvOptions.defaults(dir), Duration.ofMillis(1));
        open.add(backend);
        MapDbKvStore kv = (MapDbKvStore) backend.open("app");
        open.add(() -> kv.close(StoreClosed.CLOSED));
        kv.put("k", b("v"), 0, false, 1);
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (kv.epoch() == 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(1, kv.epoch(), "checkpointed without another write");
        assertEquals(0, kv.journalBytes());
        assertArrayEquals(b("v"), kv.get("k", 1));
    }
}
