package dev.vivarium.core.outbound;

import dev.vivarium.core.dns.DnsResolver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;

/**
 * Resolves hosts for the HTTP client at connect time, and refuses to connect where a guest must not
 * go. Checking here, on the addresses the connection will use, rather than before sending, means a
 * name that resolves to a public address when checked and to {@code 127.0.0.1} when connecting (DNS
 * rebinding) is still refused.
 *
 * <ul>
 *   <li>IP literals pass: the allowlist named that exact address (checked when the request was
 *       created), which is the only way to reach a non-public one;
 *   <li>{@code localhost} is loopback, without asking DNS; it too only passes if it was listed;
 *   <li>every other name is resolved with the engine's {@link DnsResolver} (A and AAAA), and
 *       refused if any of its addresses is not public (see {@link AddressRanges}).
 * </ul>
 */
final class GuardedResolver implements SocketAddressResolver {
    private final DnsResolver dns;
    private final Executor executor;
    private final Duration timeout;

    /**
     * @param executor runs the blocking DNS lookups, off the client's selector thread
     * @param timeout bounds each lookup (the resolver's own {@code dns.timeout} may be shorter)
     */
    GuardedResolver(DnsResolver dns, Executor executor, Duration timeout) {
        this.dns = dns;
        this.executor = executor;
        this.timeout = timeout;
    }

    @Override
    public void resolve(
            String host,
            int port,
            Map<String, Object> context,
            Promise<List<InetSocketAddress>> promise) {
        String h = host.toLowerCase(Locale.ROOT);
        InetAddress literal = OutboundUrl.ipLiteral(h);
        if (literal != null) {
            promise.succeeded(List.of(new InetSocketAddress(literal, port)));
            return;
        }
        if (h.equals("localhost")) {
            promise.succeeded(
                    List.of(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                            new InetSocketAddress(loopback6(), port)));
            return;
        }
        executor.execute(
                () -> {
                    try {
                        promise.succeeded(lookUp(h, port));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        promise.failed(
                                new OutboundFailure("resolving '" + h + "' was interrupted"));
                    } catch (RuntimeException e) {
                        promise.failed(e);
                    }
                });
    }

    /** The public addresses of {@code host}; fails if it has none or any is not public. */
    List<InetSocketAddress> lookUp(String host, int port) throws InterruptedException {
        if (dns == null) {
            throw new OutboundFailure("no DNS resolver to resolve '" + host + "'");
        }
        List<InetAddress> v4 = dns.queryIp(host, false, timeout);
        List<InetAddress> v6 = dns.queryIp(host, true, timeout);
        if (v4 == null && v6 == null) {
            throw new OutboundFailure("cannot resolve '" + host + "'");
        }
        List<InetAddress> all = new ArrayList<>();
        all.addAll(v4 == null ? List.of() : v4);
        all.addAll(v6 == null ? List.of() : v6);
        if (all.isEmpty()) {
            throw new OutboundFailure("'" + host + "' has no addresses");
        }
        List<InetSocketAddress> out = new ArrayList<>(all.size());
        for (InetAddress a : all) {
            String why = AddressRanges.nonPublicReason(a);
            if (why != null) {
                throw new OutboundFailure(
                        "refused: '"
                                + host
                                + "' resolves to "
                                + a.getHostAddress()
                                + ", a "
                                + why
                                + " address; only an allowlist entry naming that address itself"
                                + " may reach it");
            }
            out.add(new InetSocketAddress(a, port));
        }
        return out;
    }

    private static InetAddress loopback6() {
        try {
            return InetAddress.getByAddress(
                    "localhost", new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
