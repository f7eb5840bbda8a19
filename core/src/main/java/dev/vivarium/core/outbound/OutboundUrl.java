package dev.vivarium.core.outbound;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An absolute {@code http} or {@code https} URL a guest may send a request to, parsed strictly and
 * kept in canonical form: lower-case scheme and host, no trailing dot, IPv6 literals compressed by
 * {@link InetAddress}, the port always known. Anything ambiguous is refused rather than guessed:
 * user-info, backslashes, whitespace and control characters, non-ASCII, bad ports, numeric hosts
 * that are not a plain dotted quad ({@code 2130706433}, {@code 0x7f.1}, {@code 127.1}, {@code
 * 0177.0.0.1}), IPv6 zone ids.
 *
 * @param scheme {@code http} or {@code https}
 * @param host the canonical host: a lower-case name, a dotted quad, or an IPv6 address without
 *     brackets
 * @param address the address when the host is an IP literal, else null
 * @param port the explicit port, or the scheme's default
 * @param pathAndQuery the request target, starting with {@code /}; the fragment is dropped
 */
public record OutboundUrl(
        String scheme, String host, InetAddress address, int port, String pathAndQuery) {
    /** Longest URL a guest may send; longer ones are refused, not truncated. */
    public static final int MAX_LENGTH = 8192;

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern NUMERIC_LABEL = Pattern.compile("[0-9]+|0x[0-9a-f]*");
    private static final Pattern OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");
    private static final String PATH_ESCAPED = "\"<>`{}|^[]";

    public OutboundUrl {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(pathAndQuery, "pathAndQuery");
    }

    /**
     * Parses a guest's URL.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static OutboundUrl parse(String url) {
        if (url.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("URL longer than " + MAX_LENGTH + " characters");
        }
        checkCharacters(url);
        int sep = url.indexOf("://");
        if (sep < 0) {
            throw new IllegalArgumentException("not an absolute http:// or https:// URL");
        }
        String scheme = scheme(url.substring(0, sep));
        String rest = url.substring(sep + 3);
        int end = indexOfAny(rest, "/?#");
        String authority = end < 0 ? rest : rest.substring(0, end);
        String target = end < 0 ? "" : rest.substring(end);
        HostPort hp = hostPort(authority, false);
        int port = hp.port == null ? defaultPort(scheme) : parsePort(hp.port);
        Host host = parseHost(hp.host, false);
        return new OutboundUrl(scheme, host.name, host.address, port, target(target));
    }

    /** The default port of {@code http} (80) or {@code https} (443). */
    static int defaultPort(String scheme) {
        return "https".equals(scheme) ? 443 : 80;
    }

    /** Whether the host is an IP literal. */
    public boolean isLiteral() {
        return address != null;
    }

    /**
     * {@code host[:port]} as sent in {@code Host}, with brackets around IPv6 and no default port.
     */
    public String authority() {
        String h = address instanceof Inet6Address ? "[" + host + "]" : host;
        return port == defaultPort(scheme) ? h : h + ":" + port;
    }

    /** The URL as the HTTP client receives it. */
    public URI toUri() {
        return URI.create(this.toString());
    }

    /** {@code scheme://host:port}, the origin an allowlist entry is compared with. */
    public String origin() {
        String h = address instanceof Inet6Address ? "[" + host + "]" : host;
        return scheme + "://" + h + ":" + port;
    }

    @Override
    public String toString() {
        return scheme + "://" + authority() + pathAndQuery;
    }

    // --- shared with allowlist entries ----------------------------------------------------------

    record HostPort(String host, String port) {}

    record Host(String name, InetAddress address, boolean wildcard) {
        /** A literal's canonical text, as {@link InetAddress#getHostAddress()} prints it. */
        Host canonical() {
            return new Host(address.getHostAddress(), address, false);
        }
    }

    static void checkCharacters(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                throw new IllegalArgumentException(
                        String.format(
                                "character U+%04X at index %d is not allowed (whitespace, control"
                                        + " or non-ASCII)",
                                (int) c, i));
            }
            if (c == '\\') {
                throw new IllegalArgumentException("backslash at index " + i + " is not allowed");
            }
        }
    }

    static String scheme(String raw) {
        String scheme = raw.toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException(
                    "scheme '" + raw + "' is not allowed; only http and https are");
        }
        return scheme;
    }

    static HostPort hostPort(String authority, boolean allowWildcardPort) {
        if (authority.isEmpty()) {
            throw new IllegalArgumentException("no host");
        }
        if (authority.indexOf('@') >= 0) {
            throw new IllegalArgumentException("user-info ('@' in the authority) is not allowed");
        }
        String host;
        String port = null;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unclosed '[' in the host");
            }
            host = authority.substring(0, close + 1);
            String after = authority.substring(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    throw new IllegalArgumentException("unexpected '" + after + "' after ']'");
                }
                port = after.substring(1);
            }
        } else {
            int colon = authority.lastIndexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            port = colon < 0 ? null : authority.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("IPv6 addresses must be in brackets");
            }
        }
        if (port != null && !(allowWildcardPort && port.equals("*"))) {
            parsePort(port);
        }
        return new HostPort(host, port);
    }

    static int parsePort(String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("port '" + port + "' is not a number 1-65535");
        }
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is outside 1-65535");
        }
        return p;
    }

    /**
     * The address if {@code host} is an IP literal (IPv6 with or without brackets), else null;
     * never a DNS lookup, and the same strict forms URLs accept.
     */
    public static InetAddress ipLiteral(String host) {
        String h = host.startsWith("[") || host.indexOf(':') < 0 ? host : "[" + host + "]";
        try {
            return parseHost(h, false).address();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Canonicalizes a host: bracketed IPv6, strict dotted quad, or a DNS name. */
    static Host parseHost(String raw, boolean allowWildcard) {
        String h = raw.toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            return new Host(null, ipv6(h.substring(1, h.length() - 1)), false).canonical();
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        boolean wildcard = allowWildcard && h.startsWith("*.");
        if (wildcard) {
            h = h.substring(2);
        }
        if (h.isEmpty() || h.length() > 253) {
            throw new IllegalArgumentException("host '" + raw + "' is empty or too long");
        }
        String[] labels = h.split("\\.", -1);
        if (NUMERIC_LABEL.matcher(labels[labels.length - 1]).matches()) {
            if (wildcard) {
                throw new IllegalArgumentException("'*.' wildcards cannot match IP addresses");
            }
            return new Host(null, dottedQuad(raw, labels), false).canonical();
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException(
                        "host '" + raw + "' is not a valid host name (label '" + label + "')");
            }
        }
        return new Host(h, null, wildcard);
    }

    private static InetAddress ipv6(String literal) {
        if (literal.isEmpty() || !literal.chars().allMatch(c -> c == ':' || c == '.' || isHex(c))) {
            throw new IllegalArgumentException(
                    "'[" + literal + "]' is not an IPv6 address (zone ids are not allowed)");
        }
        try {
            // a literal containing ':' is parsed, never looked up
            return InetAddress.getByName("[" + literal + "]");
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'[" + literal + "]' is not an IPv6 address");
        }
    }

    private static InetAddress dottedQuad(String raw, String[] labels) {
        if (labels.length != 4) {
            throw new IllegalArgumentException(
                    "numeric host '" + raw + "' is not a dotted-quad IPv4 address like 192.0.2.1");
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!OCTET.matcher(labels[i]).matches() || Integer.parseInt(labels[i]) > 255) {
                throw new IllegalArgumentException(
                        "numeric host '"
                                + raw
                                + "' is not a plain dotted-quad IPv4 address (no octal, hex or"
                                + " shortened forms)");
            }
            bytes[i] = (byte) Integer.parseInt(labels[i]);
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isHex(int c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
    }

    private static int indexOfAny(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** The request target: fragment dropped, {@code /} when empty, odd characters escaped. */
    private static String target(String raw) {
        int hash = raw.indexOf('#');
        String t = hash < 0 ? raw : raw.substring(0, hash);
        if (t.isEmpty() || t.startsWith("?")) {
            t = "/" + t;
        }
        StringBuilder sb = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '%') {
                if (i + 2 >= t.length()
                        || !isHex(lower(t.charAt(i + 1)))
                        || !isHex(lower(t.charAt(i + 2)))) {
                    throw new IllegalArgumentException("bad percent-escape at index " + i);
                }
                sb.append(c);
            } else if (PATH_ESCAPED.indexOf(c) >= 0) {
                sb.append(String.format("%%%02X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static char lower(char c) {
        return Character.toLowerCase(c);
    }
}
