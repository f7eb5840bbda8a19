package dev.vivarium.core.outbound;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.testing.TestGuests;
import java.net.URLEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code https} destinations against real TLS servers on 127.0.0.1 with certificates made at test
 * time: trusted through {@code outbound.trustStore} (key store or PEM), untrusted by default, and a
 * certificate for another name refused even when its CA is trusted.
 */
@Timeout(120)
class OutboundTlsTest {
    @TempDir static Path dir;

    /** Certificate for 127.0.0.1 and localhost. */
    private static TestUpstream good;

    /** Certificate for another name only. */
    private static TestUpstream otherName;

    private static Path goodPem;
    private static Path goodTrustStore;
    private static Path otherNamePem;

    @BeforeAll
    static void startServers() throws Exception {
        Path goodKeys = TestCertificates.serverKeyStore(dir, "good", "ip:127.0.0.1,dns:localhost");
        goodPem = TestCertificates.exportPem(goodKeys, "good", dir.resolve("good.pem"));
        goodTrustStore = TestCertificates.trustStore(goodPem, dir.resolve("trust.p12"), "trust-pw");
        Path otherKeys = TestCertificates.serverKeyStore(dir, "other", "dns:other.example");
        otherNamePem = TestCertificates.exportPem(otherKeys, "other", dir.resolve("other.pem"));
        good = TestUpstream.tls(goodKeys, TestCertificates.PASSWORD);
        otherName = TestUpstream.tls(otherKeys, TestCertificates.PASSWORD);
    }

    @AfterAll
    static void stopServers() throws Exception {
        good.close();
        otherName.close();
    }

    private static OutboundHttp client(Path trustStore, String password) {
        return OutboundHttp.start(
                OutboundOptions.builder()
                        .trustStore(trustStore)
                        .trustStorePassword(password)
                        .build(),
                null);
    }

    /** Sends GET {@code url} asynchronously and returns why it failed. */
    private static String failureOf(OutboundSession s, String url) throws Exception {
        InFlight pending = s.start(s.create("GET", url));
        return assertThrows(OutboundFailure.class, () -> s.await(pending)).getMessage();
    }

    private static OutboundSession open(OutboundHttp http, String allow) {
        return http.openSession(
                "test-guest",
                OutboundPolicy.parse("/t -> t.wasm", List.of(allow), "test"),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    @Test
    void aTrustStoreKeyStoreMakesThePrivateCaTrusted() throws Exception {
        try (OutboundHttp http = client(goodTrustStore, "trust-pw");
                OutboundSession s = open(http, good.base())) {
            OutboundResponse r = s.send(s.create("GET", good.base() + "/fast"));
            assertEquals(200, r.status());
            assertEquals("fast", new String(r.body(), UTF_8));
        }
    }

    @Test
    void aPemFileWorksAsTrustStore() throws Exception {
        try (OutboundHttp http = client(goodPem, null);
                OutboundSession s = open(http, good.base())) {
            OutboundResponse r = s.send(s.create("GET", good.base() + "/echo"));
            assertEquals(200, r.status());
        }
    }

    @Test
    void withTheJdksCasASelfSignedServerIsRefused() throws Exception {
        try (OutboundHttp http = OutboundHttp.start(OutboundOptions.defaults(), null);
                OutboundSession s = open(http, good.base())) {
            String why = failureOf(s, good.base() + "/fast");
            assertTrue(why.contains("not issued by a trusted CA"), why);
            assertTrue(why.contains("the JDK's default CAs"), why);
        }
    }

    @Test
    void aTrustedCertificateForAnotherNameIsRefused() throws Exception {
        // the CA (here the self-signed certificate itself) is trusted, but it names other.example,
        // not 127.0.0.1: host name verification must refuse it
        try (OutboundHttp http = client(otherNamePem, null);
                OutboundSession s = open(http, otherName.base())) {
            String why = failureOf(s, otherName.base() + "/fast");
            assertTrue(why.startsWith("TLS handshake failed"), why);
            assertTrue(why.contains("127.0.0.1"), why);
        }
    }

    @Test
    void aTrustStoreReplacesTheJdksCas() throws Exception {
        // trusting only "other" means "good" is no longer trusted
        try (OutboundHttp http = client(otherNamePem, null);
                OutboundSession s = open(http, good.base())) {
            String why = failureOf(s, good.base() + "/fast");
            assertTrue(why.contains("not issued by a trusted CA"), why);
            assertTrue(why.contains(otherNamePem.toString()), why);
        }
    }

    @Test
    void fetchGuestReachesAnHttpsUpstreamThroughTheEngine() {
        VivariumOptions options =
                VivariumOptions.parse(
                        Map.of(
                                "routes",
                                "/fetch -> fetch.wasm; outbound=" + good.base(),
                                "outbound.trustStore",
                                goodTrustStore.toString(),
                                "outbound.trustStorePassword",
                                "trust-pw",
                                "poolSize",
                                "1"),
                        TestGuests.dist(),
                        dir.resolve("kv"));
        try (Vivarium v = Vivarium.builder(options).start()) {
            String path = "/fetch?url=" + URLEncoder.encode(good.base() + "/fast", UTF_8);
            Outcome o =
                    v.handle(
                            v.route("x", "/fetch"),
                            new GuestRequest("GET", path, "x", new Headers(), null, "127.0.0.1"));
            assertEquals(200, o.status(), o + " " + new String(o.body(), UTF_8));
            assertEquals("fast", new String(o.body(), UTF_8));
        }
    }

    @Test
    void badTrustStoresStopTheStartNamingTheSettingAndTheFile() throws Exception {
        Path missing = dir.resolve("missing.p12");
        Path garbage = Files.write(dir.resolve("garbage.p12"), new byte[] {1, 2, 3, 4});
        Path noCerts =
                Files.writeString(
                        dir.resolve("empty.pem"),
                        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        String[][] cases = {
            {missing.toString(), null, "cannot read it"},
            {garbage.toString(), null, "neither a PKCS12 or JKS key store nor a PEM"},
            {goodTrustStore.toString(), "wrong", "wrong outbound.trustStorePassword"},
            {noCerts.toString(), null, "PEM"},
        };
        for (String[] c : cases) {
            ConfigurationException e =
                    assertThrows(
                            ConfigurationException.class,
                            () ->
                                    OutboundOptions.builder()
                                            .trustStore(Path.of(c[0]))
                                            .trustStorePassword(c[1])
                                            .build(),
                            c[0]);
            assertTrue(e.getMessage().contains("outbound.trustStore"), e.getMessage());
            assertTrue(e.getMessage().contains(c[0]), e.getMessage());
            assertTrue(e.getMessage().contains(c[2]), c[2] + " in: " + e.getMessage());
        }
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> OutboundOptions.builder().trustStorePassword("x").build());
        assertTrue(e.getMessage().contains("outbound.trustStore is not"), e.getMessage());
    }
}
