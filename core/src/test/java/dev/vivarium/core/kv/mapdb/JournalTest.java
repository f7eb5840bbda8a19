package dev.vivarium.core.kv.mapdb;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal's file format on a real file: what a replay after a crash finds in it. */
class JournalTest {
    @TempDir Path dir;

    static Map<String, StoredValue> batch(Object... keysAndValues) {
        Map<String, StoredValue> b = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            Object v = keysAndValues[i + 1];
            b.put(
                    (String) keysAndValues[i],
                    v == null
                            ? WriteBuffer.REMOVED
                            : v instanceof StoredValue sv
                                    ? sv
                                    : new StoredValue(0, ((String) v).getBytes(UTF_8)));
        }
        return b;
    }

    static void assertBatch(Map<String, StoredValue> expected, Map<String, StoredValue> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        for (Map.Entry<String, StoredValue> e : expected.entrySet()) {
            StoredValue a = actual.get(e.getKey());
            if (e.getValue() == WriteBuffer.REMOVED) {
                assertSame(WriteBuffer.REMOVED, a, e.getKey());
            } else {
                assertEquals(e.getValue().expiresAt(), a.expiresAt(), e.getKey());
                assertArrayEquals(e.getValue().data(), a.data(), e.getKey());
            }
        }
    }

    List<Map<String, StoredValue>> reopenAndRead(long epoch) {
        try (Journal j = Journal.open(dir)) {
            return j.read(epoch);
        }
    }

    @Test
    void batchesComeBackInOrderWithRemovesExpiriesEmptyValuesAndAnyKey() {
        Map<String, StoredValue> first =
                batch("k", "v1", "ünï cödé/🙂", "x", "gone", null, "empty", "");
        Map<String, StoredValue> second =
                batch("k", new StoredValue(1_700_000_000_000L, new byte[] {0, -1, 10}), "k2", null);
        try (Journal j = Journal.open(dir)) {
            assertEquals(List.of(), j.read(0), "a new journal is empty");
            j.append(0, first);
            j.append(0, second);
        }
        List<Map<String, StoredValue>> read = reopenAndRead(0);
        assertEquals(2, read.size());
        assertBatch(first, read.get(0));
        assertBatch(second, read.get(1));
    }

    /** A journal of two records, a=1 then b=2, epoch 0; its file. */
    Path twoRecords() {
        try (Journal j = Journal.open(dir)) {
            j.append(0, batch("a", "1"));
            j.append(0, batch("b", "2"));
        }
        return dir.resolve(Journal.FILE);
    }

    @Test
    void aTornLastRecordEndsTheReplayAndTheNextRecordOverwritesIt() throws IOException {
        Path file = twoRecords();
        long full = Files.size(file);
        // a crash in the middle of the second append: its end never reached the disk
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(full - 3);
        }
        try (Journal j = Journal.open(dir)) {
            List<Map<String, StoredValue>> read = j.read(0);
            assertEquals(1, read.size(), "only the complete record");
            assertBatch(batch("a", "1"), read.get(0));
            j.append(0, batch("c", "3"));
        }
        List<Map<String, StoredValue>> read = reopenAndRead(0);
        assertEquals(2, read.size());
        assertBatch(batch("c", "3"), read.get(1));
    }

    @Test
    void aCorruptRecordEndsTheReplay() throws IOException {
        Path file = twoRecords();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1; // the second record's value: its CRC no longer matches
        Files.write(file, bytes);
        List<Map<String, StoredValue>> read = reopenAndRead(0);
        assertEquals(1, read.size());
        assertBatch(batch("a", "1"), read.get(0));
    }

    @Test
    void afterACheckpointOldRecordsLeftInTheFileAreNotReplayed() {
        try (Journal j = Journal.open(dir)) {
            j.append(0, batch("k", "a"));
            j.append(0, batch("k", "b"));
            // a checkpoint put both into MapDB with epoch 1; the file starts over in place
            j.reset();
            assertEquals(0, j.size());
            j.append(1, batch("k", "c")); // as long as the first: the second is intact behind it
        }
        List<Map<String, StoredValue>> read = reopenAndRead(1);
        assertEquals(1, read.size(), "the epoch-0 record behind it is in MapDB already");
        assertBatch(batch("k", "c"), read.get(0));
        assertEquals(List.of(), reopenAndRead(2), "a checkpoint after it took it too");
    }

    @Test
    void zerosOfAFileNeverWrittenThatFarEndTheReplay() throws IOException {
        try (Journal j = Journal.open(dir)) {
            j.append(0, batch("a", "1"));
        }
        Path file = dir.resolve(Journal.FILE);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() + 4096);
        }
        try (Journal j = Journal.open(dir)) {
            assertEquals(1, j.read(0).size());
            assertTrue(j.size() < 4096, "the next record goes after the last one: " + j.size());
        }
    }

    @Test
    void appendingToAJournalWhoseDirectoryWasDeletedWritesNothing() throws IOException {
        try (Journal j = Journal.open(dir)) {
            Files.delete(dir.resolve(Journal.FILE));
            GroupCommit.NotWritten e =
                    assertThrows(GroupCommit.NotWritten.class, () -> j.append(0, batch("a", "1")));
            assertTrue(e.getMessage().contains(Journal.FILE), e.getMessage());
        }
    }
}
