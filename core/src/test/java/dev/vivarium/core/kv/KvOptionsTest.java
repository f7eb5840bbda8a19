package dev.vivarium.core.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code kv.*} settings; what they do is checked by {@link KvBackendContract}. */
class KvOptionsTest {
    final Path dir = Path.of("vivarium-kv");

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
    void durabilityModesAndTheirBadValues() {
        KvOptions o = KvOptions.parse(new Settings(Map.of()), dir);
        assertEquals(KvOptions.Durability.SYNC, o.durability());
        assertEquals(Duration.ofMillis(10), o.syncInterval());
        KvOptions interval =
                KvOptions.parse(
                        new Settings(
                                Map.of("kv.durability", "Interval", "kv.syncInterval", "25ms")),
                        dir);
        assertEquals(KvOptions.Durability.INTERVAL, interval.durability());
        assertEquals(Duration.ofMillis(25), interval.syncInterval());
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> KvOptions.parse(new Settings(Map.of("kv.durability", "fast")), dir));
        assertTrue(
                e.getMessage().contains("'kv.durability'")
                        && e.getMessage().contains("'fast'")
                        && e.getMessage().contains("sync, interval"),
                e.getMessage());
        e =
                assertThrows(
                        ConfigurationException.class,
                        () -> KvOptions.parse(new Settings(Map.of("kv.syncInterval", "2s")), dir));
        assertTrue(
                e.getMessage().contains("'kv.syncInterval'")
                        && e.getMessage().contains("2000ms")
                        && e.getMessage().contains("from 1ms to 1s"),
                e.getMessage());
        e =
                assertThrows(
                        ConfigurationException.class,
                        () -> KvOptions.parse(new Settings(Map.of("kv.syncInterval", "0ms")), dir));
        assertTrue(e.getMessage().contains("'kv.syncInterval'"), e.getMessage());
        e =
                assertThrows(
                        ConfigurationException.class,
                        () -> KvOptions.builder(dir).durability("later"));
        assertTrue(e.getMessage().contains("sync or interval"), e.getMessage());
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
        assertEquals("mapdb", o.backend());
        assertEquals(Map.of(), o.backendSettings());
        assertEquals(new KvLimits(1024, 1 << 20, 64L << 20), o.limits());
    }

    @Test
    void theMapDbBackendIsFoundByNameAndIsTheDefault() {
        assertEquals(KvBackends.DEFAULT, "mapdb");
        assertTrue(KvBackends.names().contains("mapdb"), KvBackends.names().toString());
        KvOptions o = KvOptions.parse(new Settings(Map.of("kv.backend", "mapdb")), dir);
        assertEquals("mapdb", o.backend());
    }

    @Test
    void anUnknownBackendFailsAtStartListingTheValidOnes() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> KvOptions.parse(new Settings(Map.of("kv.backend", "redis")), dir));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                "Vivarium setting 'kv.backend': unknown backend 'redis'; valid"
                                        + " backends on the classpath: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("mapdb"), e.getMessage());
        // the builder defers the check to the start, which fails the same way
        KvOptions built = KvOptions.builder(dir).backend("redis").build();
        ConfigurationException atStart =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                KvStores.open(
                                        built,
                                        new MutableClock(),
                                        new io.micrometer.core.instrument.simple
                                                .SimpleMeterRegistry()));
        assertEquals(e.getMessage(), atStart.getMessage());
    }

    @Test
    void theEngineOptionsRefuseASettingNoBackendDeclares() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                dev.vivarium.core.VivariumOptions.parse(
                                        Map.of("kv.jdbc.url", "jdbc:postgresql://db/kv"),
                                        dir,
                                        dir));
        assertTrue(
                e.getMessage().contains("unknown Vivarium setting 'kv.jdbc.url'"), e.getMessage());
    }
}
