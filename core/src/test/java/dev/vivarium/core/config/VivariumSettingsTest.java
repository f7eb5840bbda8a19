package dev.vivarium.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.Setting.Kind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry: every setting declared once, read by the parser, with checked defaults. */
class VivariumSettingsTest {
    private static String error(Map<String, String> settings) {
        return assertThrows(
                        ConfigurationException.class,
                        () -> VivariumOptions.parse(settings, Path.of("g"), Path.of("k")))
                .getMessage();
    }

    @Test
    void everyDeclaredSettingIsReadByTheParserAndNothingElse() {
        Settings s = new Settings(Map.of());
        VivariumOptions.parse(s, Path.of("g"), Path.of("k"));
        assertEquals(
                VivariumSettings.names(),
                List.copyOf(new java.util.TreeSet<>(s.read())).stream()
                        .sorted(java.util.Comparator.comparing(VivariumSettings.names()::indexOf))
                        .toList(),
                "settings declared in VivariumSettings but never read by VivariumOptions.parse"
                        + " (or the other way round)");
    }

    @Test
    void everySettingHasADocLineAndAParsableDefaultOrADescribedOne() {
        for (Setting<?> s : VivariumSettings.all()) {
            assertTrue(!s.doc().isBlank() && s.doc().length() < 160, s.name() + ": " + s.doc());
            assertTrue(
                    s.defaultValue() != null || s.defaultText() != null,
                    s.name() + " says neither its default nor that it has none");
            if (s.defaultValue() != null) {
                assertNotNull(s.defaultParsed(), s.name());
            }
        }
    }

    @Test
    void theOptionsDefaultsAreTheDeclaredOnes() {
        VivariumOptions o = VivariumOptions.parse(Map.of(), Path.of("g"), Path.of("k"));
        assertEquals(VivariumSettings.DEADLINE.defaultParsed(), o.deadline());
        assertEquals(
                (long) VivariumSettings.MAX_REQUEST_BODY_SIZE.defaultParsed(),
                o.maxRequestBodySize());
        assertEquals(VivariumSettings.KV_MAX_STORE_SIZE.defaultParsed(), o.kv().maxStoreSize());
        assertEquals(VivariumSettings.DNS_TIMEOUT.defaultParsed(), o.dns().timeout());
        assertEquals((int) VivariumSettings.DEPLOYMENTS_MAX.defaultParsed(), o.uploads().max());
        assertEquals(VivariumSettings.OUTBOUND_TIMEOUT.defaultParsed(), o.outbound().timeout());
    }

    @Test
    void anUnknownNameIsRefusedWithTheClosestValidOne() {
        assertTrue(
                error(Map.of("kv.maxkeysize", "1KB"))
                        .startsWith(
                                "unknown Vivarium setting 'kv.maxkeysize' (did you mean"
                                        + " 'kv.maxKeySize'?); valid settings are: ["));
        String far = error(Map.of("colour", "blue"));
        assertTrue(far.startsWith("unknown Vivarium setting 'colour'; valid settings are: ["), far);
        for (String name : VivariumSettings.names()) {
            assertTrue(far.contains(name), name);
        }
    }

    @Test
    void badValuesNameTheSettingTheValueAndWhatIsValid() {
        assertEquals(
                "invalid value '0' for Vivarium setting 'kv.maxKeySize': expected a size from 1"
                        + " byte to 2147483583 bytes",
                error(Map.of("kv.maxKeySize", "0")));
        assertEquals(
                "invalid value '2GB' for Vivarium setting 'outbound.maxResponseSize': expected a"
                        + " size from 1 byte to 1GB",
                error(Map.of("outbound.maxResponseSize", "2GB")));
        assertEquals(
                "invalid value '10001' for Vivarium setting 'deployments.max': expected a whole"
                        + " number from 0 to 10000",
                error(Map.of("deployments.max", "10001")));
        assertEquals(
                "invalid value 'soon' for Vivarium setting 'dns.timeout': expected a duration"
                        + " such as 500ms, 2s, 5m, 1h or 7d",
                error(Map.of("dns.timeout", "soon")));
    }

    @Test
    void aPlaceholderInAnyAdaptersSettingsIsResolvedBeforeParsing() {
        System.setProperty("vivarium.test.deadline", "3s");
        try {
            VivariumOptions o =
                    VivariumOptions.parse(
                            Map.of("deadline", "${sys.vivarium.test.deadline}"),
                            Path.of("g"),
                            Path.of("k"));
            assertEquals(Duration.ofSeconds(3), o.deadline());
        } finally {
            System.clearProperty("vivarium.test.deadline");
        }
        assertTrue(
                error(Map.of("kv.directory", "${env:KV_DIR}"))
                        .contains("write ${env.KV_DIR} for the environment variable KV_DIR"));
    }

    @Test
    void aSettingThatIsNotDeclaredCannotBeRead() {
        Setting<String> stray = Setting.of("stray", Kind.text("anything"), null, "not declared");
        Settings s = new Settings(Map.of());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> s.get(stray));
        assertEquals("setting 'stray' is not declared in VivariumSettings", e.getMessage());
    }

    @Test
    void aDefaultThatDoesNotParseIsRefusedWhenDeclared() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> Setting.of("x.timeout", Kind.duration(), "2 seconds", "doc"));
        assertTrue(e.getMessage().contains("'x.timeout'"), e.getMessage());
    }
}
