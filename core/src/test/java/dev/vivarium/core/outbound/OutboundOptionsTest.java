package dev.vivarium.core.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OutboundOptionsTest {
    private static OutboundOptions parse(Map<String, String> m) {
        return OutboundOptions.parse(new Settings(m));
    }

    @Test
    void defaultsAllowNothingAndMatchFastlysLimits() {
        OutboundOptions o = parse(Map.of());
        assertEquals(List.of(), o.allow());
        assertEquals(Duration.ofSeconds(2), o.connectTimeout());
        assertEquals(Duration.ofSeconds(10), o.timeout());
        assertEquals(8L << 20, o.maxResponseSize());
        assertEquals(32L << 20, o.maxTotalResponseSize());
        assertEquals(32L << 20, o.maxTotalRequestSize());
        assertEquals(32, o.maxSubrequests());
        assertEquals(32, o.maxPending());
    }

    @Test
    void parsesEverySetting() {
        OutboundOptions o =
                parse(
                        Map.of(
                                "outbound.allow",
                                        "https://a.example.com, http://127.0.0.1:8081  https://*.b.example.com:*",
                                "outbound.connectTimeout", "500ms",
                                "outbound.timeout", "3s",
                                "outbound.maxResponseSize", "64KB",
                                "outbound.maxTotalResponseSize", "1MB",
                                "outbound.maxTotalRequestSize", "2MB",
                                "outbound.maxSubrequests", "4",
                                "outbound.maxPending", "2"));
        assertEquals(
                List.of(
                        "https://a.example.com",
                        "http://127.0.0.1:8081",
                        "https://*.b.example.com:*"),
                o.allow());
        assertEquals(Duration.ofMillis(500), o.connectTimeout());
        assertEquals(Duration.ofSeconds(3), o.timeout());
        assertEquals(65536, o.maxResponseSize());
        assertEquals(1 << 20, o.maxTotalResponseSize());
        assertEquals(2 << 20, o.maxTotalRequestSize());
        assertNull(o.trustStore(), "the JDK's CAs by default");
        assertEquals(4, o.maxSubrequests());
        assertEquals(2, o.maxPending());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "outbound.allow | ftp://example.com",
                "outbound.allow | https://user@example.com",
                "outbound.connectTimeout | soon",
                "outbound.timeout | 0s",
                "outbound.maxResponseSize | 2GB",
                "outbound.maxResponseSize | 0",
                "outbound.maxTotalResponseSize | 0",
                "outbound.maxTotalRequestSize | -1KB",
                "outbound.trustStore | /nonexistent/ca.pem",
                "outbound.trustStorePassword | secret",
                "outbound.maxSubrequests | -1",
                "outbound.maxPending | many",
            })
    void rejectsBadValuesNamingTheSetting(String name, String value) {
        ConfigurationException e =
                assertThrows(ConfigurationException.class, () -> parse(Map.of(name, value)));
        assertTrue(e.getMessage().contains(name), e.getMessage());
    }
}
