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
 * arbitrary moment, and the store opens cleanly afterwards.
 */
@Timeout(90)
class KvCrashTest {
    static final int ACKS_BEFORE_KILL = 300;

    @TempDir Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesSigkillAndTheStoreReopensCleanly() throws Exception {
        Process child =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-cp",
                                System.getProperty("java.class.path"),
                                KvCrashChild.class.getName(),
                                dir.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
        List<String> acked = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String line;
            while (acked.size() < ACKS_BEFORE_KILL
                    && System.nanoTime() < giveUp
                    && (line = out.readLine()) != null) {
                acked.add(line.substring("ack ".length()));
            }
            assertEquals(ACKS_BEFORE_KILL, acked.size(), "the child acknowledged writes in time");
            // SIGKILL (no shutdown hooks, no close); through the handle, which unlike
            // Process.destroyForcibly leaves our end of the pipe open to read what is left
            child.toHandle().destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
            // whatever the child printed before it died was acknowledged as well
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ack ")) {
                    acked.add(line.substring("ack ".length()));
                }
            }
        } finally {
            child.destroyForcibly();
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        try (KvStores stores =
                KvStores.open(
                        KvOptions.defaults(dir), Clock.systemUTC(), new SimpleMeterRegistry())) {
            KvStore kv = stores.store("crash");
            for (String key : acked) {
                byte[] value = kv.get(key);
                assertNotNull(value, "acknowledged write of " + key + " is lost");
                assertArrayEquals(KvCrashChild.valueOf(key), value, key);
            }
            // the store is consistent and writable after recovery
            long bytes = 0;
            for (String key : stores.keys("crash", Integer.MAX_VALUE)) {
                bytes += key.length() + kv.get(key).length;
            }
            assertEquals(bytes, stores.stats("crash").bytes());
            kv.insert("after", new byte[] {1});
            assertArrayEquals(new byte[] {1}, kv.get("after"));
            System.out.println(
                    "KvCrashTest: "
                            + acked.size()
                            + " acknowledged writes checked, "
                            + stores.stats("crash").keys()
                            + " keys after recovery");
        }
    }
}
