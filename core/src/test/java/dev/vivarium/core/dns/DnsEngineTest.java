package dev.vivarium.core.dns;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Guests using the DNS hostcalls through the whole engine, against a local DNS server. */
@Timeout(60)
class DnsEngineTest {
    private static TestDnsServer dns;

    @BeforeAll
    static void startServer() throws Exception {
        dns = new TestDnsServer();
    }

    @AfterAll
    static void stopServer() {
        dns.close();
    }

    private static Outcome run(Path dir, String route, String path) {
        VivariumOptions options =
                VivariumOptions.builder().guestDirectory(dir).poolSize(1).route(route).build();
        try (Vivarium v =
                Vivarium.builder(options)
                        .dnsResolver(dns.resolver(Duration.ofSeconds(2)))
                        .start()) {
            Headers h = new Headers().add("x-dns-name", TestDnsServer.NAME);
            return v.handle(v.route("x", path), new GuestRequest("GET", path, "x", h, null, ""));
        }
    }

    @Test
    void dnsHostcallsAnswerAsTheAbiSays() {
        Outcome o = run(TestGuests.watFixtures(), "/d -> dns_query.wat", "/d");
        assertEquals(200, o.status(), o + " " + new String(o.body(), UTF_8));
    }

    @Test
    void dnsSettingsPointTheEngineAtAResolver() {
        VivariumOptions options =
                VivariumOptions.parse(
                        java.util.Map.of(
                                "routes", "/d -> dns_query.wat",
                                "poolSize", "1",
                                "dns.resolver", "127.0.0.1:" + dns.address().getPort(),
                                "dns.timeout", "1s"),
                        TestGuests.watFixtures(),
                        Path.of("target"));
        try (Vivarium v = Vivarium.builder(options).start()) {
            Outcome o =
                    v.handle(
                            v.route("x", "/d"),
                            new GuestRequest("GET", "/d", "x", new Headers(), null, ""));
            assertEquals(200, o.status(), o + " " + new String(o.body(), UTF_8));
        }
    }

    /** The Rust fixture checks the SDK's DNS API; see guests/fixtures/fixture_dns. */
    @Test
    void fixture_dns() {
        Path wasm = TestGuests.dist().resolve("fixture_dns.wasm");
        Assumptions.assumeTrue(Files.exists(wasm), "guests/dist/fixture_dns.wasm is not built");
        Outcome o = run(TestGuests.dist(), "/* -> fixture_dns.wasm", "/fixture");
        assertEquals(200, o.status(), o + " " + new String(o.body(), UTF_8));
        assertEquals("ok", new String(o.body(), UTF_8));
    }
}
