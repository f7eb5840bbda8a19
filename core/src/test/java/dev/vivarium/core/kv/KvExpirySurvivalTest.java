package dev.vivarium.core.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 1: the KV expiry task caught only {@code RuntimeException}; one {@code
 * OutOfMemoryError} cancelled it, and no store ever expired again.
 */
@Timeout(30)
class KvExpirySurvivalTest {
    @TempDir Path dir;

    @Test
    void expiryKeepsRunningAfterARunThrowsAnError() throws Exception {
        MutableClock clock = new MutableClock();
        KvOptions options = KvOptions.builder(dir).purgeInterval(Duration.ofMillis(20)).build();
        try (KvStores stores = KvStores.open(options, clock, new SimpleMeterRegistry())) {
            List<String> told = new CopyOnWriteArrayList<>();
            AtomicBoolean failed = new AtomicBoolean();
            stores.onExpired(
                    id -> {
                        if (failed.compareAndSet(false, true)) {
                            throw new OutOfMemoryError("test: no heap for this expiry run");
                        }
                        told.add(id);
                    });
            stores.create("first", Duration.ofMinutes(5));
            stores.create("second", Duration.ofMinutes(10));
            clock.advance(Duration.ofMinutes(5));
            while (!failed.get()) {
                Thread.sleep(5);
            }
            assertEquals(List.of("second"), stores.deployments(), "the first store expired");
            clock.advance(Duration.ofMinutes(5));
            // before: the task was cancelled by the error, and this waited until the Timeout
            while (told.isEmpty()) {
                Thread.sleep(5);
            }
            assertEquals(List.of("second"), told);
            assertTrue(stores.deployments().isEmpty());
        }
    }
}
