package dev.vivarium.core.dns;

import dev.vivarium.core.config.Settings;

/** DNS settings ({@code dns.*}). STUB: owned by the DNS work. */
public final class DnsOptions {
    private DnsOptions() {}

    public static DnsOptions parse(Settings s) {
        return new DnsOptions();
    }

    public static DnsOptions defaults() {
        return new DnsOptions();
    }

    /** The resolver these options describe (default: the system's). STUB. */
    public DnsResolver createResolver() {
        return null;
    }
}
