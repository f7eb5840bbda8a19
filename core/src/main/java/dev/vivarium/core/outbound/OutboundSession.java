package dev.vivarium.core.outbound;

/**
 * The outbound HTTP state of one guest request: its created requests, pending requests and received
 * responses, bounded by the route's limits. Closed when the guest request ends, which aborts
 * anything still in flight.
 */
public interface OutboundSession extends AutoCloseable {
    @Override
    void close();
}
