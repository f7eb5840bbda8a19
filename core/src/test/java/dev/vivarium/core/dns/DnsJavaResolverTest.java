package dev.vivarium.core.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

@Timeout(30)
class DnsJavaResolverTest {
    private static final Duration LONG = Duration.ofSeconds(5);

    private TestDnsServer server;
    private DnsResolver resolver;

    @BeforeEach
    void start() throws Exception {
        server = new TestDnsServer();
        resolver = server.resolver(Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static byte[] query(int id, String name, int type) throws Exception {
        Message q =
                Message.newQuery(
                        Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
        q.getHeader().setID(id);
        return q.toWire();
    }

    @Test
    void queryIpReturnsARecords() throws Exception {
        assertEquals(
                List.of(InetAddress.getByName("192.0.2.1")),
                resolver.queryIp(TestDnsServer.NAME, false, LONG));
    }

    @Test
    void queryIpReturnsAaaaRecords() throws Exception {
        assertEquals(
                List.of(InetAddress.getByName("2001:db8::1")),
                resolver.queryIp(TestDnsServer.NAME + ".", true, LONG));
    }

    @Test
    void queryIpFollowsCnames() throws Exception {
        server.cname("alias.test", TestDnsServer.NAME);
        assertEquals(
                List.of(InetAddress.getByName("192.0.2.1")),
                resolver.queryIp("alias.test", false, LONG));
    }

    @Test
    void aCnameChainThatLoopsIsAFailureNotAnEmptyAnswer() throws Exception {
        server.cname("l1.test", "l2.test").cname("l2.test", "l1.test");
        assertNull(resolver.queryIp("l1.test", false, LONG));
    }

    @Test
    void aSilentFirstServerLeavesTimeForTheNext() throws Exception {
        try (TestDnsServer silent = new TestDnsServer()) {
            silent.mode(TestDnsServer.Mode.SILENT);
            DnsJavaResolver two =
                    new DnsJavaResolver(
                            List.of(silent.address(), server.address()), Duration.ofMillis(600));
            for (int i = 0; i < 5; i++) {
                assertEquals(
                        List.of(InetAddress.getByName("192.0.2.1")),
                        two.queryIp(TestDnsServer.NAME, false, LONG),
                        "lookup " + i);
            }
            assertTrue(silent.idsSeen().size() >= 5, "the first server was asked first");
        }
    }

    @Test
    void unknownNameHasNoAddresses() throws Exception {
        assertEquals(List.of(), resolver.queryIp("nowhere.test", false, LONG));
    }

    @Test
    void invalidNamesFailWithoutAQuery() throws Exception {
        for (String bad :
                new String[] {"", "a b", "a..b", "x\\046y", "a".repeat(64) + ".test", "é.test"}) {
            assertNull(resolver.queryIp(bad, false, LONG), bad);
        }
        assertTrue(server.idsSeen().isEmpty());
    }

    @Test
    void serverFailureIsAFailure() throws Exception {
        server.mode(TestDnsServer.Mode.SERVFAIL);
        assertNull(resolver.queryIp(TestDnsServer.NAME, false, LONG));
    }

    @Test
    void queryRawRestoresTheGuestsIdAndRandomisesTheOneSentUpstream() throws Exception {
        byte[] answer = resolver.queryRaw(query(0x4a7b, TestDnsServer.NAME, Type.A), LONG);
        assertNotNull(answer);
        Message m = new Message(answer);
        assertEquals(0x4a7b, m.getHeader().getID());
        assertTrue(m.getHeader().getFlag(Flags.QR));
        assertEquals(
                "192.0.2.1",
                ((ARecord) m.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
        // two identical queries: the server sees fresh ids, not the guest's
        resolver.queryRaw(query(0x4a7b, TestDnsServer.NAME, Type.A), LONG);
        assertEquals(2, server.idsSeen().size());
        assertNotEquals(0x4a7b, server.idsSeen().get(0).intValue());
        assertNotEquals(server.idsSeen().get(0), server.idsSeen().get(1));
    }

    @Test
    void queryRawRefusesInvalidQueriesWithoutSendingThem() throws Exception {
        Message response = new Message(query(1, TestDnsServer.NAME, Type.A));
        response.getHeader().setFlag(Flags.QR);
        Message two = new Message(query(2, TestDnsServer.NAME, Type.A));
        two.addRecord(
                Record.newRecord(Name.fromString("b.test."), Type.A, DClass.IN), Section.QUESTION);
        Message none = new Message(3);
        byte[][] bad = {
            new byte[0],
            new byte[] {1, 2, 3},
            new byte[40],
            response.toWire(),
            two.toWire(),
            none.toWire(),
            query(4, TestDnsServer.NAME, Type.AXFR),
            query(5, TestDnsServer.NAME, Type.IXFR),
        };
        for (byte[] q : bad) {
            assertNull(resolver.queryRaw(q, LONG));
        }
        assertTrue(server.idsSeen().isEmpty(), "nothing was sent upstream");
    }

    @ParameterizedTest
    @EnumSource(
            value = TestDnsServer.Mode.class,
            names = {"WRONG_ID", "QR_CLEAR", "WRONG_QUESTION", "GARBAGE", "SILENT"})
    void queryRawRefusesAnswersThatDoNotAnswerTheQuery(TestDnsServer.Mode mode) throws Exception {
        server.mode(mode);
        DnsResolver quick = server.resolver(Duration.ofMillis(500));
        assertNull(quick.queryRaw(query(7, TestDnsServer.NAME, Type.A), LONG));
        assertNull(quick.queryIp(TestDnsServer.NAME, false, LONG));
    }

    @Test
    void theCallersTimeoutBoundsTheWait() throws Exception {
        server.mode(TestDnsServer.Mode.SILENT);
        DnsResolver slow = server.resolver(Duration.ofSeconds(20));
        long start = System.nanoTime();
        assertNull(slow.queryIp(TestDnsServer.NAME, false, Duration.ofMillis(200)));
        assertTrue(
                System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "bounded by the caller");
        assertNull(slow.queryIp(TestDnsServer.NAME, false, Duration.ZERO));
    }

    @Test
    void anInterruptEndsTheWait() throws Exception {
        server.mode(TestDnsServer.Mode.SILENT);
        DnsResolver slow = server.resolver(Duration.ofSeconds(20));
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread t =
                new Thread(
                        () -> {
                            try {
                                slow.queryRaw(
                                        query(9, TestDnsServer.NAME, Type.A),
                                        Duration.ofSeconds(20));
                                outcome.complete(null);
                            } catch (Throwable e) {
                                outcome.complete(e);
                            }
                        });
        t.start();
        while (server.idsSeen().isEmpty()) {
            Thread.sleep(5);
        }
        t.interrupt();
        assertTrue(outcome.get(5, TimeUnit.SECONDS) instanceof InterruptedException);
    }
}
