package dev.vivarium.core.abi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.dns.TestDnsServer;
import dev.vivarium.core.testing.TestMemory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** The DNS hostcalls on a standalone memory, against a local DNS server. */
@Timeout(30)
class DnsHostcallsTest {
    private TestDnsServer server;
    private TestMemory heap;
    private CallContext ctx;

    @BeforeEach
    void start() throws Exception {
        server = new TestDnsServer();
        heap = new TestMemory(4);
        ctx = context(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CallContext context(long deadlineNanos) {
        return heap.builder()
                .dns(server.resolver(Duration.ofMillis(500)))
                .deadlineNanos(deadlineNanos)
                .build();
    }

    private int queryIp(CallContext c, String name, int ipv6, int out) {
        int p = heap.put(name);
        return DnsHostcalls.dnsQueryIp(c, out, out + 4, p, name.length(), ipv6);
    }

    private static byte[] query(int id, String name) throws Exception {
        Message q =
                Message.newQuery(
                        Record.newRecord(Name.fromString(name, Name.root), Type.A, DClass.IN));
        q.getHeader().setID(id);
        return q.toWire();
    }

    private void assertNothing(int out) {
        assertEquals(List.of(0, 0), heap.pairOut(out));
    }

    @Test
    void queryIpWritesFourByteAddresses() throws Exception {
        int out = heap.outParams();
        assertEquals(1, queryIp(ctx, TestDnsServer.NAME, 0, out));
        List<byte[]> addrs = heap.rawSlicesOut(out);
        assertEquals(1, addrs.size());
        assertArrayEquals(InetAddress.getByName("192.0.2.1").getAddress(), addrs.get(0));
    }

    @Test
    void queryIpWritesSixteenByteAddressesForIpv6() throws Exception {
        int out = heap.outParams();
        assertEquals(1, queryIp(ctx, TestDnsServer.NAME, 1, out));
        List<byte[]> addrs = heap.rawSlicesOut(out);
        assertEquals(1, addrs.size());
        assertArrayEquals(InetAddress.getByName("2001:db8::1").getAddress(), addrs.get(0));
    }

    @Test
    void aNameWithoutRecordsIsAnEmptyButNonNullArray() {
        int out = heap.outParams();
        assertEquals(1, queryIp(ctx, "nowhere.test", 0, out));
        assertNotEquals(0, heap.i32(out), "non-NULL: not a failure");
        assertEquals(0, heap.i32(out + 4));
    }

    @Test
    void failuresWriteANullPointerAndReturnZero() {
        int out = heap.outParams();
        assertEquals(0, queryIp(ctx, "not a name", 0, out));
        assertNothing(out);

        server.mode(TestDnsServer.Mode.SERVFAIL);
        out = heap.outParams();
        assertEquals(0, queryIp(ctx, TestDnsServer.NAME, 0, out));
        assertNothing(out);

        server.mode(TestDnsServer.Mode.SILENT);
        out = heap.outParams();
        assertEquals(0, queryIp(ctx, TestDnsServer.NAME, 0, out));
        assertNothing(out);
    }

    @Test
    void queryRawAnswersWithTheGuestsId() throws Exception {
        byte[] q = query(0x4a7b, TestDnsServer.NAME);
        int out = heap.outParams();
        assertEquals(1, DnsHostcalls.dnsQueryRaw(ctx, out, out + 4, heap.put(q), q.length));
        Message answer = new Message(heap.bytesOut(out));
        assertEquals(0x4a7b, answer.getHeader().getID());
        assertTrue(answer.getHeader().getFlag(Flags.QR));
        assertNotEquals(0x4a7b, server.idsSeen().get(0).intValue());
    }

    @Test
    void queryRawFailuresWriteANullPointer() throws Exception {
        byte[] garbage = {1, 2, 3, 4};
        int out = heap.outParams();
        assertEquals(0, DnsHostcalls.dnsQueryRaw(ctx, out, out + 4, heap.put(garbage), 4));
        assertNothing(out);

        byte[] huge = new byte[70_000];
        out = heap.outParams();
        assertEquals(0, DnsHostcalls.dnsQueryRaw(ctx, out, out + 4, heap.put(huge), huge.length));
        assertNothing(out);

        server.mode(TestDnsServer.Mode.WRONG_QUESTION);
        byte[] q = query(1, TestDnsServer.NAME);
        out = heap.outParams();
        assertEquals(0, DnsHostcalls.dnsQueryRaw(ctx, out, out + 4, heap.put(q), q.length));
        assertNothing(out);
    }

    @Test
    void aPassedDeadlineFailsWithoutAQuery() {
        CallContext late = context(System.nanoTime() - 1);
        int out = heap.outParams();
        assertEquals(0, queryIp(late, TestDnsServer.NAME, 0, out));
        assertNothing(out);
        assertTrue(server.idsSeen().isEmpty());
    }

    @Test
    void badPointersTrap() {
        int out = heap.outParams();
        assertThrows(
                HostcallTrap.class,
                () -> DnsHostcalls.dnsQueryRaw(ctx, out, out + 4, 4 * 65536 - 4, 12));
        assertThrows(
                HostcallTrap.class,
                () -> DnsHostcalls.dnsQueryIp(ctx, -8, out + 4, heap.put("a"), 1, 0));
    }
}
