package dev.vivarium.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code ${env.NAME}} and {@code ${sys.NAME}} in setting values, on a given environment. */
class PlaceholdersTest {
    private final Placeholders placeholders =
            new Placeholders(
                    Map.of("KV_DIR", "/var/kv", "PORT", "8081")::get,
                    Map.of("jetty.http.port", "8080", "vivarium.token", "t")::get);

    private String resolve(String value) {
        return placeholders.resolve("kv.directory", value);
    }

    private String refusal(String value) {
        return assertThrows(ConfigurationException.class, () -> resolve(value)).getMessage();
    }

    @Test
    void envAndSysPlaceholdersReadTheEnvironmentAndSystemProperties() {
        assertEquals("/var/kv", resolve("${env.KV_DIR}"));
        assertEquals("http://127.0.0.1:8080", resolve("http://127.0.0.1:${sys.jetty.http.port}"));
        assertEquals("8081/8080", resolve("${env.PORT}/${sys.jetty.http.port}"));
        assertEquals("no placeholder $ {here}", resolve("no placeholder $ {here}"));
    }

    @Test
    void aDefaultFollowsTheFirstColonAndMayBeEmpty() {
        assertEquals("/tmp/kv", resolve("${env.UNSET:/tmp/kv}"));
        assertEquals("/var/kv", resolve("${env.KV_DIR:/tmp/kv}"));
        assertEquals("", resolve("${sys.unset:}"));
        assertEquals("http://h:1", resolve("${sys.unset:http://h:1}"));
    }

    @Test
    void theOlderSpellingWithoutAPrefixIsASystemProperty() {
        assertEquals("8080", resolve("${jetty.http.port}"));
        assertEquals("9", resolve("${other.port:9}"));
    }

    @Test
    void log4jStyleEnvColonIsRefusedSayingWhatToWrite() {
        assertEquals(
                "invalid value '${env:KV_DIR}' for Vivarium setting 'kv.directory': placeholder"
                        + " ${env:KV_DIR} is not a placeholder form Vivarium reads; write"
                        + " ${env.KV_DIR} for the environment variable KV_DIR, with an optional"
                        + " default after ':'",
                refusal("${env:KV_DIR}"));
        assertEquals(
                "invalid value '${sys:a.b}' for Vivarium setting 'kv.directory': placeholder"
                        + " ${sys:a.b} is not a placeholder form Vivarium reads; write ${sys.a.b}"
                        + " for the system property a.b, with an optional default after ':'",
                refusal("${sys:a.b}"));
    }

    @Test
    void otherCasesOfThePrefixAndABareSourceAreRefused() {
        assertEquals(
                "invalid value '${ENV.KV_DIR}' for Vivarium setting 'kv.directory': placeholder"
                        + " ${ENV.KV_DIR} is not a placeholder form Vivarium reads; write"
                        + " ${env.KV_DIR} for the environment variable KV_DIR, with an optional"
                        + " default after ':'",
                refusal("${ENV.KV_DIR}"));
        assertEquals(
                "invalid value '${env}' for Vivarium setting 'kv.directory': placeholder ${env} is"
                        + " not a placeholder form Vivarium reads; write ${env.NAME} for the"
                        + " environment variable, with an optional default after ':'",
                refusal("${env}"));
    }

    @Test
    void aShellStyleDefaultIsRefused() {
        assertEquals(
                "invalid value '${env.PORT:-8080}' for Vivarium setting 'kv.directory':"
                        + " placeholder ${env.PORT:-8080} writes its default after ':-' as a shell"
                        + " does; write ${env.PORT:8080} (the default follows the first ':')",
                refusal("${env.PORT:-8080}"));
    }

    @Test
    void malformedPlaceholdersAreRefused() {
        assertEquals(
                "invalid value 'a${env.KV_DIR' for Vivarium setting 'kv.directory': placeholder"
                        + " ${env.KV_DIR is not closed with '}'",
                refusal("a${env.KV_DIR"));
        assertEquals(
                "invalid value '${}' for Vivarium setting 'kv.directory': placeholder ${} names"
                        + " nothing; write ${env.NAME} or ${sys.NAME}",
                refusal("${}"));
        assertEquals(
                "invalid value '${env.}' for Vivarium setting 'kv.directory': placeholder ${env.}"
                        + " names nothing; write ${env.NAME} or ${sys.NAME}",
                refusal("${env.}"));
        assertEquals(
                "invalid value '${env.kv-dir}' for Vivarium setting 'kv.directory': placeholder"
                        + " ${env.kv-dir} 'kv-dir' is not an environment variable name (letters,"
                        + " digits, '_')",
                refusal("${env.kv-dir}"));
        assertEquals(
                "invalid value '${env.${X}}' for Vivarium setting 'kv.directory': placeholder"
                        + " ${env.${X} nests a placeholder, which is not supported",
                refusal("${env.${X}}"));
    }

    @Test
    void anUnsetPlaceholderWithoutADefaultNamesWhatIsMissing() {
        assertEquals(
                "invalid value '${env.UNSET}' for Vivarium setting 'kv.directory': placeholder"
                        + " ${env.UNSET} needs the environment variable UNSET, which is not set;"
                        + " set it or give a default, as in ${env.UNSET:default}",
                refusal("${env.UNSET}"));
        assertEquals(
                "invalid value '${KV_DIR}' for Vivarium setting 'kv.directory': placeholder"
                        + " ${KV_DIR} needs the system property KV_DIR, which is not set; set it"
                        + " or give a default, as in ${KV_DIR:default} (for the environment"
                        + " variable write ${env.KV_DIR})",
                refusal("${KV_DIR}"));
    }

    @Test
    void settingsResolvePlaceholdersBeforeParsing() {
        Settings s =
                new Settings(
                        Map.of("deadline", "${env.DEADLINE:3s}", "kv.maxKeySize", "${sys.k:}"),
                        placeholders);
        assertEquals(java.time.Duration.ofSeconds(3), s.get(VivariumSettings.DEADLINE));
        // empty after resolving: unset, so the default
        assertEquals(1024L, s.get(VivariumSettings.KV_MAX_KEY_SIZE));
    }
}
