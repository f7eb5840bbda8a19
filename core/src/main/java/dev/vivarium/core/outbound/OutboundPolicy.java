package dev.vivarium.core.outbound;

import dev.vivarium.core.config.ConfigurationException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A route's outbound allowlist: the destinations its guest may send requests to. Nothing is allowed
 * unless listed. An entry is {@code scheme://host[:port]}:
 *
 * <ul>
 *   <li>{@code https://api.example.com} - that host on the scheme's default port;
 *   <li>{@code https://*.example.com:8443} - any subdomain (not {@code example.com} itself);
 *   <li>{@code http://127.0.0.1:8081}, {@code http://[::1]:8081} - an IP literal, compared by
 *       address;
 *   <li>{@code https://api.example.com:*} - any port;
 *   <li>{@code http://127.0.0.1:8080/api/*} - only paths under {@code /api/} there, and {@code
 *       http://127.0.0.1:8080/plain} only that path: an entry with a path allows a URL only if its
 *       path is written plainly, without {@code %}-escapes and without {@code .} or {@code ..}
 *       segments (which the server would decode or resolve to some other path).
 * </ul>
 *
 * <p>Names are checked here, when a request is created; the addresses they resolve to are checked
 * again when the client connects (see {@link GuardedResolver}). Loopback, private, link-local and
 * other non-public addresses are only reachable through an entry that names them literally (an IP
 * literal, or {@code localhost} for loopback), never through a name that resolves to them.
 */
public final class OutboundPolicy {
    /** Allows nothing. */
    public static final OutboundPolicy DENY_ALL = new OutboundPolicy("(none)", List.of());

    private final String route;
    private final List<Entry> entries;

    private OutboundPolicy(String route, List<Entry> entries) {
        this.route = route;
        this.entries = List.copyOf(entries);
    }

    /**
     * Parses allowlist entries; blank entries are skipped.
     *
     * @param route names the route in log lines and errors
     * @param where names the setting the entries come from, for error messages
     * @throws ConfigurationException naming the bad entry and why
     */
    public static OutboundPolicy parse(String route, List<String> raw, String where) {
        Objects.requireNonNull(route, "route");
        List<Entry> entries = new ArrayList<>();
        for (String e : raw) {
            if (e == null || e.isBlank()) {
                continue;
            }
            try {
                entries.add(Entry.parse(e.trim()));
            } catch (IllegalArgumentException ex) {
                throw new ConfigurationException(
                        "invalid outbound allowlist entry '"
                                + e.trim()
                                + "' in "
                                + where
                                + ": "
                                + ex.getMessage()
                                + "; expected scheme://host[:port][/path or /prefix/*], e.g."
                                + " https://api.example.com, https://*.example.com:8443 or"
                                + " http://127.0.0.1:8081/api/*");
            }
        }
        return new OutboundPolicy(route, entries);
    }

    /** This policy plus {@code other}'s entries (the global {@code outbound.allow}). */
    OutboundPolicy plus(OutboundPolicy other) {
        List<Entry> all = new ArrayList<>(entries);
        all.addAll(other.entries);
        return new OutboundPolicy(route, all);
    }

    /** The route this policy belongs to, for log lines. */
    public String route() {
        return route;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Whether some entry allows {@code url}'s scheme, host and port. */
    public boolean allows(OutboundUrl url) {
        for (Entry e : entries) {
            if (e.matches(url)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return entries.isEmpty() ? "deny all" : entries.toString();
    }

    /**
     * One allowlist entry.
     *
     * @param scheme {@code http} or {@code https}
     * @param host an exact host name, or the suffix after {@code *.}, or null for an IP literal
     * @param address the IP literal, or null
     * @param wildcard whether {@code host} is a {@code *.} suffix
     * @param port the port, or -1 for any
     * @param path null for any path, an exact path, or a prefix ending in {@code /*}
     */
    record Entry(
            String scheme,
            String host,
            InetAddress address,
            boolean wildcard,
            int port,
            String path) {
        static Entry parse(String raw) {
            OutboundUrl.checkCharacters(raw);
            int sep = raw.indexOf("://");
            if (sep < 0) {
                throw new IllegalArgumentException("no scheme");
            }
            String scheme = OutboundUrl.scheme(raw.substring(0, sep));
            String rest = raw.substring(sep + 3);
            if (rest.indexOf('?') >= 0 || rest.indexOf('#') >= 0) {
                throw new IllegalArgumentException(
                        "entries name an origin and a path, not a query");
            }
            String path = null;
            int slash = rest.indexOf('/');
            if (slash >= 0) {
                path = rest.substring(slash);
                rest = rest.substring(0, slash);
                path = path.equals("/") || path.equals("/*") ? null : checkPath(path);
            }
            OutboundUrl.HostPort hp = OutboundUrl.hostPort(rest, true);
            OutboundUrl.Host host = OutboundUrl.parseHost(hp.host(), true);
            int port =
                    hp.port() == null
                            ? OutboundUrl.defaultPort(scheme)
                            : hp.port().equals("*") ? -1 : OutboundUrl.parsePort(hp.port());
            return host.address() != null
                    ? new Entry(scheme, null, host.address(), false, port, path)
                    : new Entry(scheme, host.name(), null, host.wildcard(), port, path);
        }

        private static String checkPath(String path) {
            if (!plain(path.endsWith("/*") ? path.substring(0, path.length() - 1) : path)
                    || path.indexOf('*') >= 0 && !path.endsWith("/*")
                    || path.indexOf('*') != path.lastIndexOf('*')) {
                throw new IllegalArgumentException(
                        "path '"
                                + path
                                + "' must be plain (no %-escapes, '.' or '..' segments) and may"
                                + " only end in '/*' (a prefix)");
            }
            return path;
        }

        /** No %-escapes, no empty, '.' or '..' segments: the path a server routes is this one. */
        private static boolean plain(String path) {
            if (path.indexOf('%') >= 0 || path.contains("//")) {
                return false;
            }
            for (String segment : path.split("/", -1)) {
                if (segment.equals(".") || segment.equals("..")) {
                    return false;
                }
            }
            return true;
        }

        private boolean pathMatches(OutboundUrl url) {
            if (path == null) {
                return true;
            }
            String p = url.pathAndQuery();
            int q = p.indexOf('?');
            p = q < 0 ? p : p.substring(0, q);
            if (!plain(p)) {
                return false;
            }
            if (path.endsWith("/*")) {
                String prefix = path.substring(0, path.length() - 1);
                return p.startsWith(prefix);
            }
            return p.equals(path);
        }

        boolean matches(OutboundUrl url) {
            if (!scheme.equals(url.scheme()) || port != -1 && port != url.port()) {
                return false;
            }
            if (!pathMatches(url)) {
                return false;
            }
            if (address != null) {
                return address.equals(url.address());
            }
            if (url.isLiteral()) {
                return false;
            }
            return wildcard ? url.host().endsWith("." + host) : url.host().equals(host);
        }

        @Override
        public String toString() {
            String h =
                    address != null
                            ? (address.getAddress().length == 16
                                    ? "[" + address.getHostAddress() + "]"
                                    : address.getHostAddress())
                            : (wildcard ? "*." : "") + host;
            return scheme
                    + "://"
                    + h
                    + ":"
                    + (port == -1 ? "*" : port)
                    + (path == null ? "" : path);
        }
    }
}
