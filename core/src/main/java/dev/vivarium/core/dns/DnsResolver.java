package dev.vivarium.core.dns;

import java.net.InetAddress;
import java.util.List;

/** Name resolution for the DNS hostcalls; injected so tests use a local resolver. */
public interface DnsResolver {
    /**
     * Sends a wire-format query upstream and returns the wire-format answer.
     *
     * @return the answer, or null when the query or the answer is invalid or the lookup failed
     */
    byte[] queryRaw(byte[] query);

    /**
     * A (ipv6 false) or AAAA records of {@code name}.
     *
     * @return the addresses, or null when the lookup failed
     */
    List<InetAddress> queryIp(String name, boolean ipv6);
}
