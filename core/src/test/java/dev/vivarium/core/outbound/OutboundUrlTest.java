package dev.vivarium.core.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class OutboundUrlTest {

    @Test
    void parsesANameUrlWithDefaultPortAndCanonicalCase() {
        OutboundUrl u = OutboundUrl.parse("HTTPS://API.Example.COM./v1/x?y=1#frag");
        assertEquals("https", u.scheme());
        assertEquals("api.example.com", u.host());
        assertNull(u.address());
        assertEquals(443, u.port());
        assertEquals("/v1/x?y=1", u.pathAndQuery());
        assertEquals("https://api.example.com/v1/x?y=1", u.toString());
        assertEquals("https://api.example.com:443", u.origin());
    }

    @Test
    void emptyPathBecomesSlashAndQueryOnlyKeepsItsQuery() {
        assertEquals("/", OutboundUrl.parse("http://example.com").pathAndQuery());
        assertEquals("/?a=b", OutboundUrl.parse("http://example.com?a=b").pathAndQuery());
        assertEquals("/", OutboundUrl.parse("http://example.com#x").pathAndQuery());
    }

    @Test
    void parsesIpv4AndIpv6LiteralsAsAddresses() throws Exception {
        OutboundUrl v4 = OutboundUrl.parse("http://127.0.0.1:8081/fast");
        assertEquals(InetAddress.getByName("127.0.0.1"), v4.address());
        assertEquals(8081, v4.port());
        assertEquals("http://127.0.0.1:8081/fast", v4.toString());

        OutboundUrl v6 = OutboundUrl.parse("http://[0:0:0:0:0:0:0:1]:9000/");
        OutboundUrl v6short = OutboundUrl.parse("http://[::1]:9000/");
        assertEquals(v6.address(), v6short.address());
        assertEquals(v6.host(), v6short.host());
        assertTrue(v6short.toString().startsWith("http://["), v6short.toString());
    }

    @Test
    void ipv4MappedIpv6LiteralIsTheIpv4Address() throws Exception {
        OutboundUrl u = OutboundUrl.parse("http://[::ffff:127.0.0.1]:80/");
        assertEquals(InetAddress.getByName("127.0.0.1"), u.address());
        assertEquals("127.0.0.1", u.host());
    }

    @Test
    void escapesCharactersTheUriClassRejectsInTheTarget() {
        OutboundUrl u = OutboundUrl.parse("http://example.com/a{b}|c?q=\"x\"");
        assertEquals("/a%7Bb%7D%7Cc?q=%22x%22", u.pathAndQuery());
        u.toUri(); // must not throw
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "::not a url::",
                "ftp://example.com/",
                "file:///etc/passwd",
                "gopher://127.0.0.1:70/",
                "javascript:alert(1)",
                "//example.com/",
                "http:/example.com/",
                "http://",
                "http:///path",
                "http://user:pass@example.com/",
                "http://example.com@evil.com/",
                "http://good.com\\@evil.com/",
                "http://example.com\\path",
                "http://exa mple.com/",
                " http://example.com/",
                "http://example.com/\r\nHost: evil",
                "http://example.com/\t",
                "http://exämple.com/",
                "http://example.com:/",
                "http://example.com:0/",
                "http://example.com:65536/",
                "http://example.com:99999999999/",
                "http://example.com:-1/",
                "http://example.com:8o/",
                "http://2130706433/",
                "http://0x7f.1/",
                "http://0x7f000001/",
                "http://017700000001/",
                "http://0177.0.0.1/",
                "http://127.1/",
                "http://127.0.0.01/",
                "http://127.0.0.1.5/",
                "http://256.0.0.1/",
                "http://[::1/",
                "http://[fe80::1%25eth0]/",
                "http://[::1]x/",
                "http://::1/",
                "http://[not:an:ip:zz]/",
                "http://exa_mple.com/",
                "http://-example.com/",
                "http://example..com/",
                "http://%65xample.com/",
                "http://example.com/%zz",
                "http://example.com/%4",
            })
    void refusesAmbiguousOrUnsupportedUrls(String url) {
        assertThrows(IllegalArgumentException.class, () -> OutboundUrl.parse(url), url);
    }

    @Test
    void refusesOverlongUrls() {
        String url = "http://example.com/" + "a".repeat(OutboundUrl.MAX_LENGTH);
        assertThrows(IllegalArgumentException.class, () -> OutboundUrl.parse(url));
    }

    @ParameterizedTest
    @CsvSource({
        "http://example.com/, example.com:80, example.com",
        "https://example.com:8443/, example.com:8443, example.com:8443",
        "http://[::1]:8080/, [0:0:0:0:0:0:0:1]:8080, [0:0:0:0:0:0:0:1]:8080",
        "http://10.0.0.1:80/, 10.0.0.1:80, 10.0.0.1",
    })
    void authorityLeavesOutTheDefaultPort(String url, String origin, String authority) {
        OutboundUrl u = OutboundUrl.parse(url);
        assertTrue(u.origin().endsWith(origin), u.origin());
        assertEquals(authority, u.authority());
    }
}
