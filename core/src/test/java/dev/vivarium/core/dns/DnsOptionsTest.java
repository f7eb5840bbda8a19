package dev.vivarium.core.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DnsOptionsTest {
    private static DnsOptions parse(Map<String, String> m) {
        return DnsOptions.parse(new Settings(m));
    }

    @Test
    void defaultsToTheSystemResolverAndTwoSeconds() {
        DnsOptions o = parse(Map.of());
        assertEquals("system", o.resolver());
        assertEquals(Duration.ofSeconds(2), o.timeout());
        // reads the system configuration; sends nothing
        assertNotNull(o.createResolver());
    }

    @Test
    void theResolverIsMadeOnFirstUseNotAtStart() throws Exception {
        DnsResolver r =
                parse(Map.of("dns.resolver", "127.0.0.1:9", "dns.timeout", "200ms"))
                        .createResolver();
        assertTrue(r.toString().contains("not used yet"), r.toString());
        // the discard port: no answer, so no addresses; what matters is that it was made
        r.queryIp("example.test", false, Duration.ofMillis(200));
        assertTrue(r.toString().startsWith("dnsjava resolver"), r.toString());
    }

    @Test
    void parsesAServerWithOrWithoutPort() {
        assertTrue(
                parse(Map.of("dns.resolver", "127.0.0.1:5353"))
                        .createResolver()
                        .toString()
                        .contains("5353"));
        assertTrue(
                parse(Map.of("dns.resolver", "127.0.0.1"))
                        .createResolver()
                        .toString()
                        .contains(":53"));
        assertTrue(
                parse(Map.of("dns.resolver", "[::1]:5353"))
                        .createResolver()
                        .toString()
                        .contains("5353"));
        assertEquals(
                Duration.ofMillis(300),
                parse(Map.of("dns.resolver", "SYSTEM", "dns.timeout", "300ms")).timeout());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "127.0.0.1:0",
                "127.0.0.1:99999",
                "127.0.0.1:x",
                "::1",
                "[::1",
                "[::1]x",
                "a b:53",
                ":53"
            })
    void rejectsBadResolversNamingTheSetting(String v) {
        ConfigurationException e =
                assertThrows(ConfigurationException.class, () -> parse(Map.of("dns.resolver", v)));
        assertTrue(e.getMessage().contains("dns.resolver"), e.getMessage());
    }

    @Test
    void rejectsABadTimeout() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class, () -> parse(Map.of("dns.timeout", "soon")));
        assertTrue(e.getMessage().contains("dns.timeout"), e.getMessage());
    }
}
