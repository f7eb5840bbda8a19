package dev.vivarium.core.dns;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import dev.vivarium.core.config.VivariumSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.xbill.DNS.ResolverConfig;

/**
 * DNS settings ({@code dns.resolver}, {@code dns.timeout}; declared with their defaults in {@link
 * VivariumSettings}). {@code system} means the servers of the system's resolver configuration, e.g.
 * {@code /etc/resolv.conf}; otherwise one server as {@code host[:port]}, e.g. {@code
 * 127.0.0.1:5353} or {@code [::1]:53}.
 */
public final class DnsOptions {
    static final Duration DEFAULT_TIMEOUT = VivariumSettings.DNS_TIMEOUT.defaultParsed();
    static final String SYSTEM = "system";

    private final String resolver;
    private final InetSocketAddress server;
    private final Duration timeout;

    private DnsOptions(String resolver, InetSocketAddress server, Duration timeout) {
        this.resolver = resolver;
        this.server = server;
        this.timeout = timeout;
    }

    /** Reads {@code dns.resolver} and {@code dns.timeout}. */
    public static DnsOptions parse(Settings s) {
        String resolver = s.get(VivariumSettings.DNS_RESOLVER);
        Duration timeout = s.get(VivariumSettings.DNS_TIMEOUT);
        if (resolver.equalsIgnoreCase(SYSTEM)) {
            return new DnsOptions(SYSTEM, null, timeout);
        }
        return new DnsOptions(resolver, server(resolver), timeout);
    }

    public static DnsOptions defaults() {
        return new DnsOptions(SYSTEM, null, DEFAULT_TIMEOUT);
    }

    /** One upstream server and a timeout, e.g. a local test server. */
    public static DnsOptions of(InetSocketAddress server, Duration timeout) {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(timeout, "timeout");
        return new DnsOptions(server.toString(), server, timeout);
    }

    private static InetSocketAddress server(String v) {
        String host = v;
        int port = 53;
        int colon = v.lastIndexOf(':');
        if (v.startsWith("[")) {
            int close = v.indexOf(']');
            if (close < 0 || close != v.length() - 1 && v.charAt(close + 1) != ':') {
                throw bad(v);
            }
            host = v.substring(1, close);
            if (close != v.length() - 1) {
                port = Settings.parseInt("dns.resolver", v.substring(close + 2), 1, 65535);
            }
        } else if (colon >= 0) {
            if (v.indexOf(':') != colon) {
                throw bad(v);
            }
            host = v.substring(0, colon);
            port = Settings.parseInt("dns.resolver", v.substring(colon + 1), 1, 65535);
        }
        if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
            throw bad(v);
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new ConfigurationException(
                    "invalid value '"
                            + v
                            + "' for Vivarium setting 'dns.resolver': cannot resolve '"
                            + host
                            + "'; give an IP address");
        }
        return address;
    }

    private static ConfigurationException bad(String v) {
        return Settings.bad(
                "dns.resolver", v, "'system' or host[:port], e.g. 127.0.0.1:53 or [::1]:53");
    }

    public Duration timeout() {
        return timeout;
    }

    /** {@code system}, or the configured server. */
    public String resolver() {
        return resolver;
    }

    /**
     * The resolver these options describe: the system's servers, or the configured one. Made on
     * first use: dnsjava (about 200 classes and the system's resolver configuration) is loaded by
     * the first lookup, not by every start, most of whose guests never resolve a name.
     */
    public DnsResolver createResolver() {
        return new Lazy(this);
    }

    /** {@link #createResolver()}'s resolver, created on first use. */
    private static final class Lazy implements DnsResolver {
        private final DnsOptions options;
        private volatile DnsResolver resolver;

        Lazy(DnsOptions options) {
            this.options = options;
        }

        private DnsResolver resolver() {
            DnsResolver r = resolver;
            if (r == null) {
                synchronized (this) {
                    r = resolver;
                    if (r == null) {
                        r = options.createNow();
                        resolver = r;
                    }
                }
            }
            return r;
        }

        @Override
        public byte[] queryRaw(byte[] query, Duration timeout) throws InterruptedException {
            return resolver().queryRaw(query, timeout);
        }

        @Override
        public List<InetAddress> queryIp(String name, boolean ipv6, Duration timeout)
                throws InterruptedException {
            return resolver().queryIp(name, ipv6, timeout);
        }

        @Override
        public String toString() {
            DnsResolver r = resolver;
            if (r != null) {
                return r.toString();
            }
            return options.server != null
                    ? "DnsResolver[" + options.server + ", not used yet]"
                    : "DnsResolver[the system's servers, read on first use]";
        }
    }

    private DnsResolver createNow() {
        List<InetSocketAddress> servers =
                server != null ? List.of(server) : ResolverConfig.getCurrentConfig().servers();
        if (servers.isEmpty()) {
            // dnsjava falls back to localhost itself; this only guards an odd configuration
            servers = List.of(new InetSocketAddress("127.0.0.1", 53));
        }
        return new DnsJavaResolver(servers, timeout);
    }

    @Override
    public String toString() {
        return "dns(resolver=" + resolver + ", timeout=" + timeout.toMillis() + "ms)";
    }
}
