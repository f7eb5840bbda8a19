package dev.vivarium.core.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.dns.TestDnsServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class GuardedResolverTest {
    private TestDnsServer dns;
    private GuardedResolver resolver;

    @BeforeEach
    void start() throws Exception {
        dns = new TestDnsServer();
        resolver =
                new GuardedResolver(
                        dns.resolver(Duration.ofSeconds(2)), Runnable::run, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private List<InetSocketAddress> resolve(String host) throws Exception {
        CompletableFuture<List<InetSocketAddress>> f = new CompletableFuture<>();
        resolver.resolve(host, 80, Map.of(), Promise.from(f::complete, f::completeExceptionally));
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void publicNamesResolveToAllTheirAddresses() throws Exception {
        assertEquals(
                List.of(
                        new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 80),
                        new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 80)),
                resolve(TestDnsServer.NAME));
    }

    @Test
    void literalsAndLocalhostNeedNoDns() throws Exception {
        assertEquals(InetAddress.getByName("127.0.0.1"), resolve("127.0.0.1").get(0).getAddress());
        assertEquals(InetAddress.getByName("::1"), resolve("[::1]").get(0).getAddress());
        assertEquals(InetAddress.getByName("::1"), resolve("::1").get(0).getAddress());
        assertTrue(resolve("localhost").get(0).getAddress().isLoopbackAddress());
        assertTrue(dns.idsSeen().isEmpty());
    }

    @Test
    void namesResolvingToNonPublicAddressesAreRefused() throws Exception {
        dns.a("loop.test", "127.0.0.1");
        dns.a("private.test", "10.1.2.3");
        dns.a("mixed.test", "192.0.2.9").aaaa("mixed.test", "fd00::1");
        dns.cname("alias.test", "loop.test");
        for (String host : List.of("loop.test", "private.test", "mixed.test", "alias.test")) {
            Exception e = assertThrows(Exception.class, () -> resolve(host), host);
            assertTrue(e.getCause() instanceof OutboundFailure, host + ": " + e);
            assertTrue(e.getCause().getMessage().contains("refused"), e.getCause().getMessage());
        }
    }

    @Test
    void unknownNamesFail() {
        Exception e = assertThrows(Exception.class, () -> resolve("nowhere.test"));
        assertTrue(e.getCause().getMessage().contains("no addresses"), e.getCause().getMessage());
    }
}
