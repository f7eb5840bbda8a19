package dev.vivarium.core.dns;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * Name resolution for the DNS hostcalls and for outbound HTTP; injected so tests use a local
 * resolver. Implementations are thread-safe. Each call waits at most the smaller of {@code timeout}
 * and the resolver's own configured timeout ({@code dns.timeout}).
 */
public interface DnsResolver {
    /**
     * Sends a wire-format query upstream and returns the wire-format answer, with the query's
     * transaction id.
     *
     * @param timeout the longest the caller may wait (e.g. what is left of a guest's deadline)
     * @return the answer, or null when the query or the answer is invalid or the lookup failed
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    byte[] queryRaw(byte[] query, Duration timeout) throws InterruptedException;

    /**
     * A (ipv6 false) or AAAA records of {@code name}, following CNAMEs in the answer.
     *
     * @param timeout the longest the caller may wait
     * @return the addresses (empty when the name has none, or does not exist), or null when the
     *     name is invalid or the lookup failed
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    List<InetAddress> queryIp(String name, boolean ipv6, Duration timeout)
            throws InterruptedException;
}
