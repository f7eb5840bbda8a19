package dev.vivarium.core.kv.mapdb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.kv.PendingWrites;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes waited for after the request ({@link PendingWrites}, as the engine does for every guest)
 * and {@code kv.durability=interval}; what survives a crash is {@link KvCrashTest}'s.
 */
@Timeout(60)
class PendingWritesTest {
    @TempDir Path dir;

    private KvStores open(KvOptions options) {
        return KvStores.open(options, Clock.systemUTC(), new SimpleMeterRegistry());
    }

    @Test
    void writesOfManyRequestsWaitedForAfterTheirGuestsShareOneCommit() {
        try (KvStores stores = open(KvOptions.defaults(dir))) {
            KvStore kv = stores.store("d");
            kv.insert("warm", new byte[] {0});
            long before = stores.stats("d").commits();
            List<PendingWrites> requests = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                PendingWrites r = new PendingWrites();
                r.enter(System.nanoTime() + Duration.ofSeconds(30).toNanos());
                try {
                    kv.insert("k" + i, new byte[] {(byte) i});
                    kv.append("log", new byte[] {(byte) i});
                } finally {
                    r.exit();
                }
                assertFalse(r.isEmpty(), "the write is left to be waited for");
                // the next request sees it at once, as it would see a write being committed
                assertArrayEquals(new byte[] {(byte) i}, kv.get("k" + i));
                requests.add(r);
            }
            assertEquals(before, stores.stats("d").commits(), "no write waited in the guest");
            for (PendingWrites r : requests) {
                r.awaitDurable();
                assertTrue(r.isEmpty());
            }
            // the first waiter's commit covered every write applied before it
            assertEquals(before + 1, stores.stats("d").commits());
            // outside a scope, a write waits for its commit again
            kv.insert("after", new byte[] {1});
            assertEquals(before + 2, stores.stats("d").commits());
        }
    }

    @Test
    void beforeAnOutboundRequestTheWritesSoFarAreWaitedFor() {
        try (KvStores stores = open(KvOptions.defaults(dir))) {
            KvStore kv = stores.store("d");
            kv.insert("warm", new byte[] {0});
            long before = stores.stats("d").commits();
            PendingWrites r = new PendingWrites();
            r.enter(System.nanoTime() + Duration.ofSeconds(30).toNanos());
            try {
                kv.insert("k", new byte[] {1});
                assertEquals(before, stores.stats("d").commits());
                // what OutboundHandles.send does before it sends
                PendingWrites.awaitCurrent();
                assertEquals(before + 1, stores.stats("d").commits());
                assertTrue(r.isEmpty());
            } finally {
                r.exit();
            }
            // outside the scope there is nothing to wait for
            PendingWrites.awaitCurrent();
            assertEquals(null, PendingWrites.current());
        }
    }

    @Test
    void writesNotYetWaitedForAreCommittedWhenTheEngineStops() {
        try (KvStores stores = open(KvOptions.defaults(dir))) {
            PendingWrites r = new PendingWrites();
            r.enter(Long.MAX_VALUE);
            try {
                stores.store("d").insert("k", new byte[] {7});
            } finally {
                r.exit();
            }
            assertFalse(r.isEmpty());
        }
        try (KvStores stores = open(KvOptions.defaults(dir))) {
            assertArrayEquals(new byte[] {7}, stores.store("d").get("k"));
        }
    }

    @Test
    void intervalModeAcknowledgesAtOnceAndCommitsInTheBackground() throws Exception {
        KvOptions options =
                KvOptions.builder(dir)
                        .durability(KvOptions.Durability.INTERVAL)
                        .syncInterval(Duration.ofMillis(20))
                        .build();
        try (KvStores stores = open(options)) {
            KvStore kv = stores.store("d");
            PendingWrites r = new PendingWrites();
            r.enter(Long.MAX_VALUE);
            try {
                for (int i = 0; i < 50; i++) {
                    kv.insert("k" + i, new byte[] {(byte) i});
                }
            } finally {
                r.exit();
            }
            // nothing to wait for: the background thread commits (unless the disk fell behind)
            long writes = 50;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (stores.stats("d").commits() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            long commits = stores.stats("d").commits();
            assertTrue(commits >= 1, "the background thread committed: " + commits);
            assertTrue(commits <= writes, commits + " commits for " + writes + " writes");
            r.awaitDurable();
        }
        // what the last pass did not commit was committed when the store closed
        try (KvStores stores = open(KvOptions.defaults(dir))) {
            for (int i = 0; i < 50; i++) {
                assertArrayEquals(new byte[] {(byte) i}, stores.store("d").get("k" + i));
            }
        }
    }
}
