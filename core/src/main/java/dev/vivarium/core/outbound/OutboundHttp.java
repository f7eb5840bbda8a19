package dev.vivarium.core.outbound;

import dev.vivarium.core.config.RouteSpec;
import dev.vivarium.core.dns.DnsResolver;

/** The engine's outbound HTTP client. STUB: owned by the outbound HTTP work. */
public final class OutboundHttp implements AutoCloseable {
    private OutboundHttp() {}

    public static OutboundHttp start(OutboundOptions options, DnsResolver dns) {
        return new OutboundHttp();
    }

    /** Parses and checks a route's allowlist at start; throws ConfigurationException. */
    public OutboundPolicy policy(RouteSpec route) {
        return OutboundPolicy.DENY_ALL;
    }

    /**
     * Opens the outbound state of one guest request.
     *
     * @param deadlineNanos {@code System.nanoTime()} by which the guest request must end
     */
    public OutboundSession openSession(
            String guestName, OutboundPolicy policy, long deadlineNanos) {
        return () -> {};
    }

    @Override
    public void close() {}
}
