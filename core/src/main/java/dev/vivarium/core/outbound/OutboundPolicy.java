package dev.vivarium.core.outbound;

/** A route's parsed outbound allowlist. STUB: owned by the outbound HTTP work. */
public final class OutboundPolicy {
    public static final OutboundPolicy DENY_ALL = new OutboundPolicy();

    private OutboundPolicy() {}
}
