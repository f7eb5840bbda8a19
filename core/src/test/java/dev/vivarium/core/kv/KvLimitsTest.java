package dev.vivarium.core.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class KvLimitsTest {
    @TempDir Path dir;
    final MutableClock clock = new MutableClock();
    KvStores stores;
    KvStore kv;

    @BeforeEach
    void open() {
        KvOptions options =
                KvOptions.parse(
                        new Settings(
                                Map.of(
                                        "kv.maxKeySize", "8",
                                        "kv.maxValueSize", "16",
                                        "kv.maxStoreSize", "40")),
                        dir);
        stores = KvStores.open(options, clock, new SimpleMeterRegistry());
        kv = stores.store("app");
    }

    @AfterEach
    void close() {
        stores.close();
    }

    static byte[] bytes(int n) {
        return new byte[n];
    }

    @Test
    void aKeyOverMaxKeySizeIsRefusedNamingTheLimitAndSizes() {
        KvLimitException e =
                assertThrows(KvLimitException.class, () -> kv.insert("123456789", bytes(1)));
        assertEquals("KV key of 9 bytes exceeds kv.maxKeySize (8 bytes)", e.getMessage());
        // UTF-8 bytes count, not characters: 3 × 3 bytes
        assertThrows(KvLimitException.class, () -> kv.insert("€€€", bytes(1)));
        assertNull(kv.get("123456789"), "a longer key cannot exist, so reading it finds nothing");
        assertEquals(0, stores.stats("app").keys());
    }

    @Test
    void aValueOverMaxValueSizeIsRefusedAndTheOldValueStays() {
        kv.insert("k", "old".getBytes(UTF_8));
        KvLimitException e = assertThrows(KvLimitException.class, () -> kv.insert("k", bytes(17)));
        assertEquals("KV value of 17 bytes exceeds kv.maxValueSize (16 bytes)", e.getMessage());
        assertArrayEquals("old".getBytes(UTF_8), kv.get("k"));
    }

    @Test
    void anAppendThatWouldGrowPastMaxValueSizeChangesNothing() {
        kv.insert("k", bytes(10));
        KvLimitException e = assertThrows(KvLimitException.class, () -> kv.append("k", bytes(7)));
        assertEquals(
                "KV value would grow to 17 bytes by this append, over kv.maxValueSize (16 bytes)",
                e.getMessage());
        assertEquals(10, kv.get("k").length);
        assertEquals(11, stores.stats("app").bytes());
    }

    @Test
    void theStoreRefusesWritesPastMaxStoreSizeAndStaysConsistent() {
        kv.insert("a", bytes(16)); // 17
        kv.insert("b", bytes(16)); // 34
        KvLimitException e = assertThrows(KvLimitException.class, () -> kv.insert("c", bytes(6)));
        assertEquals(
                "KV store of deployment 'app' would hold 41 bytes, over kv.maxStoreSize (40 bytes)",
                e.getMessage());
        assertNull(kv.get("c"));
        assertEquals(34, stores.stats("app").bytes());
        assertTrue(kv.insert("c", bytes(5)), "exactly at the limit is allowed");
        kv.insert("a", bytes(1)); // overwriting frees space
        assertEquals(25, stores.stats("app").bytes());
    }

    @Test
    void aWriteThatWouldBreakMaxStoreSizePurgesExpiredKeysFirst() {
        kv.insertWithTtl("a", bytes(16), Duration.ofSeconds(1));
        kv.insert("b", bytes(16));
        clock.advance(Duration.ofSeconds(1));
        assertTrue(kv.insert("c", bytes(16)));
        assertEquals(34, stores.stats("app").bytes());
        assertEquals(1, stores.stats("app").purgedKeys());
    }

    @Test
    void badSettingsNameTheSetting() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                KvOptions.parse(
                                        new Settings(Map.of("kv.maxValueSize", "lots")), dir));
        assertTrue(e.getMessage().contains("'kv.maxValueSize'"), e.getMessage());
        e =
                assertThrows(
                        ConfigurationException.class,
                        () -> KvOptions.parse(new Settings(Map.of("kv.maxKeySize", "0")), dir));
        assertTrue(e.getMessage().contains("'kv.maxKeySize'"), e.getMessage());
        e =
                assertThrows(
                        ConfigurationException.class,
                        () -> KvOptions.parse(new Settings(Map.of("kv.purgeInterval", "0s")), dir));
        assertTrue(e.getMessage().contains("'kv.purgeInterval'"), e.getMessage());
    }

    @Test
    void defaultsAreDocumentedValues() {
        KvOptions o = KvOptions.parse(new Settings(Map.of()), Path.of("vivarium-kv"));
        assertEquals(Path.of("vivarium-kv"), o.directory());
        assertEquals(1024, o.maxKeySize());
        assertEquals(1 << 20, o.maxValueSize());
        assertEquals(64L << 20, o.maxStoreSize());
        assertEquals(Duration.ofMinutes(1), o.purgeInterval());
        KvOptions custom =
                KvOptions.parse(
                        new Settings(Map.of("kv.directory", "/tmp/x", "kv.purgeInterval", "5s")),
                        Path.of("vivarium-kv"));
        assertEquals(Path.of("/tmp/x"), custom.directory());
        assertEquals(Duration.ofSeconds(5), custom.purgeInterval());
    }
}
