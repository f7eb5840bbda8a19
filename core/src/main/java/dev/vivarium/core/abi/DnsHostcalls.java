package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.Hostcall.i;

import dev.vivarium.core.dns.DnsResolver;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The DNS family: {@code hostcall_dns_query_raw} and {@code hostcall_dns_query_ip}, see {@code
 * guests/ABI.md}. Both wait at most {@code dns.timeout} and never past the request's deadline.
 *
 * <p>Failure is a NULL pointer: both out-params are written as {@code (0, 0)}. The i32 result is
 * Terrarium's {@code bool}: 1 when an answer was written, 0 on failure; the guest SDKs look only at
 * the pointer. An empty {@code query_ip} answer (the name has no such records) is a success: a
 * non-NULL 1-byte allocation with length 0, so a guest can tell it from a failure.
 */
public final class DnsHostcalls implements HostcallFamily {
    static final int OK = 1;
    static final int FAILED = 0;

    /** Longest DNS message; a longer query fails without being read. */
    static final int MAX_QUERY = 65535;

    /** Longest host name (253) plus a trailing dot. */
    static final int MAX_NAME = 254;

    @Override
    public List<Hostcall> hostcalls() {
        return List.of(
                Hostcall.i32(
                        "hostcall_dns_query_raw",
                        4,
                        (c, a) -> dnsQueryRaw(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]))),
                Hostcall.i32(
                        "hostcall_dns_query_ip",
                        5,
                        (c, a) -> dnsQueryIp(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]))));
    }

    /**
     * {@code hostcall_dns_query_raw}: forwards a wire-format query and writes the answer (the
     * guest's transaction id restored). The resolver validates both; see {@link DnsResolver}.
     */
    public static int dnsQueryRaw(
            CallContext ctx, int respPtrP, int respLenP, int queryPtr, int queryLen) {
        GuestMemory mem = ctx.memory();
        mem.writeNothing(respPtrP, respLenP);
        mem.check(queryPtr, queryLen, "dns query");
        if (Integer.toUnsignedLong(queryLen) > MAX_QUERY) {
            return FAILED;
        }
        byte[] query = mem.read(queryPtr, queryLen, "dns query");
        byte[] answer;
        try {
            answer = resolver(ctx).queryRaw(query, remaining(ctx));
        } catch (InterruptedException e) {
            throw HttpHostcalls.interrupted("hostcall_dns_query_raw");
        }
        if (answer == null || answer.length == 0) {
            return FAILED;
        }
        mem.writeOut(respPtrP, respLenP, answer);
        return OK;
    }

    /**
     * {@code hostcall_dns_query_ip}: A ({@code ipv6 == 0}) or AAAA records of the name, as a
     * GuestSlice array of 4- or 16-byte addresses.
     */
    public static int dnsQueryIp(
            CallContext ctx, int addrsPtrP, int addrsLenP, int namePtr, int nameLen, int ipv6) {
        GuestMemory mem = ctx.memory();
        mem.writeNothing(addrsPtrP, addrsLenP);
        mem.check(namePtr, nameLen, "dns name");
        if (Integer.toUnsignedLong(nameLen) > MAX_NAME) {
            return FAILED;
        }
        String name = mem.readString(namePtr, nameLen, "dns name");
        List<InetAddress> addresses;
        try {
            addresses = resolver(ctx).queryIp(name, ipv6 != 0, remaining(ctx));
        } catch (InterruptedException e) {
            throw HttpHostcalls.interrupted("hostcall_dns_query_ip");
        }
        if (addresses == null) {
            return FAILED;
        }
        if (addresses.isEmpty()) {
            // success with no records: a real (1-byte, freeable) array of length 0, not NULL
            int array = mem.copyIn(new byte[0]);
            mem.writeI32(addrsPtrP, array, "out-param ptr");
            mem.writeI32(addrsLenP, 0, "out-param len");
            return OK;
        }
        // each address's bytes as octets, one char per byte: they cross as the same bytes
        List<String> raw = new ArrayList<>(addresses.size());
        for (InetAddress a : addresses) {
            raw.add(new String(a.getAddress(), StandardCharsets.ISO_8859_1));
        }
        mem.writeLatin1SlicesOut(addrsPtrP, addrsLenP, raw);
        return OK;
    }

    private static DnsResolver resolver(CallContext ctx) {
        DnsResolver dns = ctx.dns();
        if (dns == null) {
            throw new HostcallTrap("DNS is not available to this deployment");
        }
        return dns;
    }

    private static Duration remaining(CallContext ctx) {
        return Duration.ofNanos(Math.max(0, ctx.deadlineNanos() - System.nanoTime()));
    }
}
