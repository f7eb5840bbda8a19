package dev.vivarium.core.outbound;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.ConfigurationException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutboundPolicyTest {
    private static OutboundPolicy policy(String... entries) {
        return OutboundPolicy.parse("/r -> r.wasm", List.of(entries), "test");
    }

    private static boolean allows(OutboundPolicy p, String url) {
        return p.allows(OutboundUrl.parse(url));
    }

    @Test
    void denyAllAllowsNothing() {
        assertFalse(allows(OutboundPolicy.DENY_ALL, "http://127.0.0.1/"));
        assertFalse(allows(OutboundPolicy.DENY_ALL, "https://example.com/"));
        assertTrue(policy().isEmpty());
        assertTrue(policy("", "  ").isEmpty());
    }

    @Test
    void exactHostMatchesSchemeHostAndDefaultPort() {
        OutboundPolicy p = policy("https://api.example.com");
        assertTrue(allows(p, "https://api.example.com/v1"));
        assertTrue(allows(p, "https://API.example.com.:443/v1"));
        assertFalse(allows(p, "http://api.example.com/v1"));
        assertFalse(allows(p, "https://api.example.com:8443/v1"));
        assertFalse(allows(p, "https://www.api.example.com/"));
        assertFalse(allows(p, "https://api.example.com.evil.com/"));
        assertFalse(allows(p, "https://example.com/"));
    }

    @Test
    void wildcardMatchesSubdomainsOnly() {
        OutboundPolicy p = policy("https://*.example.com:8443");
        assertTrue(allows(p, "https://a.example.com:8443/"));
        assertTrue(allows(p, "https://a.b.example.com:8443/"));
        assertFalse(allows(p, "https://example.com:8443/"));
        assertFalse(allows(p, "https://evilexample.com:8443/"));
        assertFalse(allows(p, "https://a.example.com/"));
    }

    @Test
    void anyPortEntryMatchesEveryPort() {
        OutboundPolicy p = policy("http://api.example.com:*");
        assertTrue(allows(p, "http://api.example.com:1/"));
        assertTrue(allows(p, "http://api.example.com/"));
        assertFalse(allows(p, "https://api.example.com/"));
    }

    @Test
    void ipLiteralsCompareByAddress() {
        OutboundPolicy p = policy("http://127.0.0.1:8081", "http://[::1]:8082");
        assertTrue(allows(p, "http://127.0.0.1:8081/fast"));
        assertTrue(allows(p, "http://[::ffff:127.0.0.1]:8081/fast"));
        assertTrue(allows(p, "http://[0:0:0:0:0:0:0:1]:8082/"));
        assertFalse(allows(p, "http://127.0.0.2:8081/"));
        assertFalse(allows(p, "http://localhost:8081/"));
        assertFalse(allows(p, "http://127.0.0.1:8082/"));
    }

    @Test
    void aNameEntryNeverMatchesAnIpLiteral() {
        OutboundPolicy p = policy("http://localhost:8081", "http://*.example.com");
        assertTrue(allows(p, "http://localhost:8081/"));
        assertFalse(allows(p, "http://127.0.0.1:8081/"));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "api.example.com",
                "ftp://api.example.com",
                "https://api.example.com/a/../b",
                "https://api.example.com/%2e%2e/b",
                "https://api.example.com/a*",
                "https://api.example.com/?q",
                "https://user@api.example.com",
                "https://*.127.0.0.1",
                "https://*",
                "https://api.example.com:0",
                "https://api.example.com:abc",
                "https://0x7f.1",
                "https://*.*.example.com",
            })
    void rejectsBadEntriesNamingThem(String entry) {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> policy(entry));
        assertTrue(e.getMessage().contains(entry), e.getMessage());
        assertTrue(e.getMessage().contains("test"), e.getMessage());
    }

    /**
     * Issue 18 item 3: the sample's {@code /fetch} may reach only the site's {@code /api/*} and
     * {@code /plain}, never its own route (the 150-deep self nesting) nor another guest's.
     */
    @Test
    void anEntryWithAPathAllowsOnlyThatPathOrPrefixWrittenPlainly() {
        OutboundPolicy p = policy("http://127.0.0.1:8080/api/*", "http://127.0.0.1:8080/plain");
        assertTrue(allows(p, "http://127.0.0.1:8080/api/fast"));
        assertTrue(allows(p, "http://127.0.0.1:8080/api/slow?ms=10"));
        assertTrue(allows(p, "http://127.0.0.1:8080/plain"));
        assertFalse(allows(p, "http://127.0.0.1:8080/fetch?url=http://127.0.0.1:8080/fetch"));
        assertFalse(allows(p, "http://127.0.0.1:8080/plainer"));
        assertFalse(allows(p, "http://127.0.0.1:8080/api"));
        assertFalse(allows(p, "http://127.0.0.1:8080/apix/fast"));
        // what the server would resolve or decode to another path
        assertFalse(allows(p, "http://127.0.0.1:8080/api/../fetch"));
        assertFalse(allows(p, "http://127.0.0.1:8080/api/./../fetch"));
        assertFalse(allows(p, "http://127.0.0.1:8080/api/%2e%2e/fetch"));
        assertFalse(allows(p, "http://127.0.0.1:8080/api//fetch"));
        assertFalse(allows(p, "http://127.0.0.1:8081/api/fast"));
        assertTrue(allows(policy("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/fetch"));
        assertTrue(p.toString().contains("http://127.0.0.1:8080/api/*"), p.toString());
    }

    @Test
    void globalEntriesAddToTheRoute() {
        OutboundPolicy p = policy("https://a.example.com").plus(policy("https://b.example.com"));
        assertTrue(allows(p, "https://a.example.com/"));
        assertTrue(allows(p, "https://b.example.com/"));
    }
}
