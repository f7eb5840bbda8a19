package dev.vivarium.core.kv.mapdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability: every write a writer saw succeed survives the process being killed with SIGKILL at an
 * arbitrary moment (with {@code kv.durability=sync}, the default, also for writes waited for after
 * the "request", as the engine does), and the store opens cleanly afterwards; with {@code
 * kv.durability=interval}, what is lost is only a tail of each writer's writes acknowledged within
 * {@code 2 × kv.syncInterval} of the last acknowledgement before the crash.
 */
@Timeout(90)
class KvCrashTest {
    static final int ACKS_BEFORE_KILL = 300;

    @TempDir Path dir;

    /** One acknowledged write: its writer, its number in that writer's sequence, when. */
    record Ack(String key, int writer, long index, long nanos) {
        static Ack parse(String line) {
            String[] p = line.split(" ");
            String key = p[1];
            int dash = key.indexOf('-');
            return new Ack(
                    key,
                    Integer.parseInt(key.substring(1, dash)),
                    Long.parseLong(key.substring(dash + 1)),
                    Long.parseLong(p[2]));
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesSigkillAndTheStoreReopensCleanly() throws Exception {
        List<Ack> acked = crash();
        try (KvStores stores = reopen()) {
            KvStore kv = stores.store("crash");
            for (Ack a : acked) {
                byte[] value = kv.get(a.key());
                assertNotNull(value, "acknowledged write of " + a.key() + " is lost");
                assertArrayEquals(KvCrashChild.valueOf(a.key()), value, a.key());
            }
            for (int w = 0; w < KvCrashChild.WRITERS; w++) {
                long last = -1;
                for (Ack a : acked) {
                    if (a.writer() == w) {
                        last = Math.max(last, a.index());
                    }
                }
                // every acknowledged append is in the log, in order
                byte[] log = kv.get("w" + w + "-log");
                byte[] expected = log(w, last + 1);
                byte[] head =
                        log == null ? new byte[0] : java.util.Arrays.copyOf(log, expected.length);
                assertArrayEquals(expected, head, "log of writer " + w);
            }
            checkConsistent(stores, kv);
            System.out.println(
                    "KvCrashTest sync: "
                            + acked.size()
                            + " acknowledged writes checked, "
                            + stores.stats("crash").keys()
                            + " keys after recovery");
        }
    }

    @Test
    void intervalModeLosesOnlyATailOfWritesAcknowledgedWithinTwoIntervals() throws Exception {
        long intervalMillis = 50;
        // several intervals of writes before the kill, so that some are committed: writes in
        // this mode are acknowledged at memory speed, 300 of them well within one interval
        List<Ack> acked = crash(4 * intervalMillis, "interval", Long.toString(intervalMillis));
        long lastAck = acked.stream().mapToLong(Ack::nanos).max().orElseThrow();
        int lost = 0;
        long oldestLost = 0;
        try (KvStores stores = reopen()) {
            KvStore kv = stores.store("crash");
            for (int w = 0; w < KvCrashChild.WRITERS; w++) {
                int writer = w;
                List<Ack> mine = acked.stream().filter(a -> a.writer() == writer).toList();
                // a writer's writes are acknowledged in order; what survives is a prefix of them
                long firstMissing = Long.MAX_VALUE;
                for (Ack a : mine) {
                    byte[] value = kv.get(a.key());
                    if (value == null) {
                        firstMissing = Math.min(firstMissing, a.index());
                        lost++;
                        long age = TimeUnit.NANOSECONDS.toMillis(lastAck - a.nanos());
                        oldestLost = Math.max(oldestLost, age);
                        // 2 × interval from the oldest write not on disk; the last
                        // acknowledgement may also be of a write that waited for a commit (one
                        // commit's time later), and a loaded machine adds time between a write's
                        // acknowledgement and its thread reading the clock: a second for both
                        assertTrue(
                                age <= 2 * intervalMillis + 1000,
                                a.key()
                                        + " is lost though it was acknowledged "
                                        + age
                                        + " ms before the last acknowledgement");
                    } else {
                        assertTrue(
                                a.index() < firstMissing,
                                a.key()
                                        + " survived though an earlier write of its writer is lost");
                        assertArrayEquals(KvCrashChild.valueOf(a.key()), value, a.key());
                    }
                }
                // the log holds the appends of the surviving prefix (and perhaps the next one)
                long kept = firstMissing == Long.MAX_VALUE ? mine.size() : firstMissing;
                byte[] log = kv.get("w" + w + "-log");
                byte[] actual = log == null ? new byte[0] : log;
                boolean fits = false;
                for (long n = Math.max(0, kept - 1); n <= kept + 1 && !fits; n++) {
                    fits = java.util.Arrays.equals(log(w, n), actual);
                }
                assertTrue(fits, "log of writer " + w + " is not the appends of its kept writes");
            }
            assertTrue(lost < acked.size(), "the writes before the last interval are on disk");
            checkConsistent(stores, kv);
            System.out.println(
                    "KvCrashTest interval: "
                            + acked.size()
                            + " acknowledged writes, "
                            + lost
                            + " lost, the oldest acknowledged "
                            + oldestLost
                            + " ms before the last acknowledgement (interval "
                            + intervalMillis
                            + " ms)");
        }
    }

    /** The log of writer {@code w} after its writes 0 to {@code n - 1}. */
    private static byte[] log(int w, long n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long i = 2; i < n; i += 3) {
            out.writeBytes(KvCrashChild.valueOf("w" + w + "-" + i));
        }
        return out.toByteArray();
    }

    private KvStores reopen() {
        return KvStores.open(KvOptions.defaults(dir), Clock.systemUTC(), new SimpleMeterRegistry());
    }

    /** The store is consistent and writable after recovery. */
    private static void checkConsistent(KvStores stores, KvStore kv) {
        long bytes = 0;
        for (String key : stores.keys("crash", Integer.MAX_VALUE)) {
            bytes += key.length() + kv.get(key).length;
        }
        assertEquals(bytes, stores.stats("crash").bytes());
        kv.insert("after", new byte[] {1});
        assertArrayEquals(new byte[] {1}, kv.get("after"));
    }

    /** Runs the child with {@code args} after the directory, kills it, returns what it acked. */
    private List<Ack> crash(String... args) throws Exception {
        return crash(0, args);
    }

    /**
     * As {@link #crash(String...)}, killing the child only once it has also acknowledged writes for
     * {@code minMillis} since its first acknowledgement.
     */
    private List<Ack> crash(long minMillis, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(KvCrashChild.class.getName());
        command.add(dir.toString());
        command.addAll(List.of(args));
        Process child =
                new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<Ack> acked = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String line;
            long firstAck = 0;
            while ((acked.size() < ACKS_BEFORE_KILL
                            || System.nanoTime() - firstAck
                                    < TimeUnit.MILLISECONDS.toNanos(minMillis))
                    && System.nanoTime() < giveUp
                    && (line = out.readLine()) != null) {
                acked.add(Ack.parse(line));
                if (acked.size() == 1) {
                    firstAck = System.nanoTime();
                }
            }
            assertTrue(acked.size() >= ACKS_BEFORE_KILL, "the child acknowledged writes in time");
            // SIGKILL (no shutdown hooks, no close); through the handle, which unlike
            // Process.destroyForcibly leaves our end of the pipe open to read what is left
            child.toHandle().destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
            // whatever the child printed before it died was acknowledged as well
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ack ") && line.split(" ").length == 3) {
                    acked.add(Ack.parse(line));
                }
            }
        } finally {
            child.destroyForcibly();
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");
        return acked;
    }
}
