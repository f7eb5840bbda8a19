package dev.vivarium.core.outbound;

import dev.vivarium.core.config.Settings;

/** Outbound HTTP settings ({@code outbound.*}). STUB: owned by the outbound HTTP work. */
public final class OutboundOptions {
    private OutboundOptions() {}

    public static OutboundOptions parse(Settings s) {
        return new OutboundOptions();
    }

    public static OutboundOptions defaults() {
        return new OutboundOptions();
    }
}
