package dev.vivarium.core.outbound;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Classifies IP addresses a guest must not reach by default: loopback, private, link-local
 * (including cloud metadata), unspecified, multicast, broadcast, carrier-grade NAT and other
 * non-public ranges. IPv6 forms that embed an IPv4 address (NAT64, 6to4, IPv4-compatible) are
 * judged by the address they embed, so {@code [64:ff9b::7f00:1]} is loopback too.
 */
final class AddressRanges {
    private AddressRanges() {}

    /**
     * Why {@code address} is not a public destination, e.g. {@code "loopback"}, or null when it is
     * public.
     */
    static String nonPublicReason(InetAddress address) {
        if (address instanceof Inet4Address) {
            return ipv4Reason(address.getAddress());
        }
        if (address instanceof Inet6Address) {
            return ipv6Reason(address.getAddress());
        }
        return "not an IP address";
    }

    private static String ipv4Reason(byte[] a) {
        int b0 = a[0] & 0xff;
        int b1 = a[1] & 0xff;
        int b2 = a[2] & 0xff;
        if (b0 == 0) {
            return "unspecified (0.0.0.0/8)";
        }
        if (b0 == 127) {
            return "loopback (127.0.0.0/8)";
        }
        if (b0 == 10 || b0 == 172 && (b1 & 0xf0) == 16 || b0 == 192 && b1 == 168) {
            return "private (RFC 1918)";
        }
        if (b0 == 169 && b1 == 254) {
            return b2 == 169 && (a[3] & 0xff) == 254
                    ? "cloud metadata (169.254.169.254)"
                    : "link-local (169.254.0.0/16)";
        }
        if (b0 == 100 && (b1 & 0xc0) == 64) {
            return "carrier-grade NAT (100.64.0.0/10)";
        }
        if (b0 == 192 && b1 == 0 && b2 == 0) {
            return "IETF protocol assignments (192.0.0.0/24)";
        }
        if (b0 == 198 && (b1 & 0xfe) == 18) {
            return "benchmarking (198.18.0.0/15)";
        }
        if (b0 >= 224 && b0 <= 239) {
            return "multicast (224.0.0.0/4)";
        }
        if (b0 >= 240) {
            return "reserved or broadcast (240.0.0.0/4)";
        }
        return null;
    }

    private static String ipv6Reason(byte[] a) {
        int w0 = word(a, 0);
        if (isZero(a, 0, 15)) {
            return a[15] == 0
                    ? "unspecified (::)"
                    : a[15] == 1 ? "loopback (::1)" : "IPv4-compatible";
        }
        if (isZero(a, 0, 12)) {
            return embedded(a, 12, "IPv4-compatible");
        }
        if (isZero(a, 0, 10) && word(a, 10) == 0xffff) {
            // Java normally turns ::ffff:a.b.c.d into an Inet4Address; be safe if it did not
            return embedded(a, 12, "IPv4-mapped");
        }
        if (w0 == 0x64 && word(a, 2) == 0xff9b) {
            return word(a, 4) == 0 && isZero(a, 6, 12)
                    ? embedded(a, 12, "NAT64 (64:ff9b::/96)")
                    : "local NAT64 (64:ff9b:1::/48)";
        }
        if (w0 == 0x2002) {
            return embedded(a, 2, "6to4 (2002::/16)");
        }
        if (w0 == 0x2001 && word(a, 2) == 0) {
            return "Teredo (2001::/32)";
        }
        if (w0 == 0xfd00 && word(a, 2) == 0x0ec2 && isZero(a, 4, 15) && a[15] == 0x54) {
            return "cloud metadata (fd00:ec2::254)";
        }
        if ((w0 & 0xfe00) == 0xfc00) {
            return "unique local (fc00::/7)";
        }
        if ((w0 & 0xffc0) == 0xfe80) {
            return "link-local (fe80::/10)";
        }
        if ((w0 & 0xffc0) == 0xfec0) {
            return "site-local (fec0::/10)";
        }
        if ((w0 & 0xff00) == 0xff00) {
            return "multicast (ff00::/8)";
        }
        return null;
    }

    /** The reason of the IPv4 address at {@code a[offset..offset+4)}, qualified by {@code form}. */
    private static String embedded(byte[] a, int offset, String form) {
        byte[] v4 = {a[offset], a[offset + 1], a[offset + 2], a[offset + 3]};
        String inner = ipv4Reason(v4);
        if (inner != null) {
            return form + " of " + inner;
        }
        try {
            // the public IPv4 address is reachable, but only through a translator: still refuse
            return form + " form of " + InetAddress.getByAddress(v4).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int word(byte[] a, int i) {
        return (a[i] & 0xff) << 8 | a[i + 1] & 0xff;
    }

    private static boolean isZero(byte[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
