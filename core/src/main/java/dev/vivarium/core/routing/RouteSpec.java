package dev.vivarium.core.routing;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One configured route: which requests it takes and which guest answers them.
 *
 * <p>Written as {@code MATCH -> GUEST [; key=value]...}, for example {@code /hello -> hello.wasm},
 * {@code /api/* -> api.wasm; deadline=2s; maxConcurrent=4} or {@code *.shop.example.com/* ->
 * shop.wasm; id=shop}. MATCH is an optional host ({@code example.com} exact, {@code *.example.com}
 * any subdomain) followed by a path ({@code /x} exact, {@code /x/*} the prefix {@code /x} and
 * below, {@code /*} everything), written decoded and normalized as requests are routed.
 *
 * @param match the MATCH text as written
 * @param host exact host, {@code *.suffix}, or null for any host
 * @param path exact path or a prefix ending in {@code /*}
 * @param guest the guest file as written (relative to {@code guestDirectory})
 * @param id the deployment id: names the KV store; defaults to the guest file's base name
 * @param deadline this route's deadline, or null for the global {@code deadline}
 * @param outbound the outbound allowlist entries of this route (empty: nothing allowed)
 * @param maxConcurrent the deployment's instances running at once, or null for the global {@code
 *     maxConcurrent}
 * @param maxQueued the deployment's requests waiting for an instance, or null for the global {@code
 *     maxQueued}
 */
public record RouteSpec(
        String match,
        String host,
        String path,
        String guest,
        String id,
        Duration deadline,
        List<String> outbound,
        Integer maxConcurrent,
        Integer maxQueued) {

    private static final Pattern ESCAPE = Pattern.compile("%([0-9A-Fa-f]{2})");

    /** The {@code key=value} parameters a route entry accepts. */
    public static final List<String> PARAMETERS =
            List.of("id", "deadline", "outbound", "maxConcurrent", "maxQueued");

    public RouteSpec {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(guest, "guest");
        Objects.requireNonNull(id, "id");
        outbound = List.copyOf(outbound);
    }

    /** A route without admission parameters of its own (the global ones apply). */
    public RouteSpec(
            String match,
            String host,
            String path,
            String guest,
            String id,
            Duration deadline,
            List<String> outbound) {
        this(match, host, path, guest, id, deadline, outbound, null, null);
    }

    /** Parses the {@code routes} setting: entries separated by commas or new lines. */
    public static List<RouteSpec> parseAll(String routes) {
        if (routes == null || routes.isBlank()) {
            return List.of();
        }
        List<RouteSpec> out = new ArrayList<>();
        for (String entry : routes.split("[,\\n]")) {
            if (!entry.isBlank()) {
                out.add(parse(entry.trim()));
            }
        }
        return out;
    }

    /** Parses one {@code MATCH -> GUEST [; key=value]...} entry of setting {@code routes}. */
    public static RouteSpec parse(String entry) {
        return parse(entry, "Vivarium setting 'routes'");
    }

    /**
     * Parses one {@code MATCH -> GUEST [; key=value]...} entry.
     *
     * @param where where the entry came from, for messages, e.g. {@code Vivarium setting 'routes'}
     */
    public static RouteSpec parse(String entry, String where) {
        String[] parts = entry.split(";");
        String head = parts[0];
        int arrow = head.indexOf("->");
        if (arrow < 0) {
            throw invalid(where, entry, "expected MATCH -> GUEST, e.g. '/hello -> hello.wasm'");
        }
        String match = head.substring(0, arrow).trim();
        String guest = head.substring(arrow + 2).trim();
        if (guest.isEmpty() || guest.contains(" ")) {
            throw invalid(where, entry, "the guest must be one .wasm or .wat file name");
        }
        String lower = guest.toLowerCase(Locale.ROOT);
        if (!lower.endsWith(".wasm") && !lower.endsWith(".wat")) {
            throw invalid(where, entry, "the guest '" + guest + "' must end in .wasm or .wat");
        }
        int slash = match.indexOf('/');
        if (slash < 0) {
            throw invalid(
                    where,
                    entry,
                    "MATCH '" + match + "' needs a path starting with '/', e.g. 'example.com/*'");
        }
        String host = slash == 0 ? null : match.substring(0, slash).toLowerCase(Locale.ROOT);
        String path = match.substring(slash);
        if (host != null
                && !host.matches(
                        "(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
            throw invalid(
                    where, entry, "host '" + host + "' is not a host name or *.domain pattern");
        }
        if (path.indexOf('*') >= 0
                && !(path.endsWith("/*") && path.indexOf('*') == path.length() - 1)) {
            throw invalid(
                    where,
                    entry,
                    "path '" + path + "' may only end in '/*' (a prefix); no other wildcards");
        }
        int query = path.indexOf('?') >= 0 ? path.indexOf('?') : path.indexOf('#');
        if (query >= 0) {
            throw invalid(
                    where,
                    entry,
                    "path '"
                            + path
                            + "' has a query or fragment, but routes match the path alone: write '"
                            + path.substring(0, query)
                            + "'");
        }
        String normal = normalized(path);
        if (ESCAPE.matcher(path).find()) {
            throw invalid(
                    where,
                    entry,
                    "path '"
                            + path
                            + "' has %-escapes, but requests are routed on their decoded path: write '"
                            + normal
                            + "'");
        }
        if (!normal.equals(path)) {
            throw invalid(
                    where,
                    entry,
                    "path '"
                            + path
                            + "' is not normalized (requests are routed on their normalized path,"
                            + " without '.', '..' or empty segments): write '"
                            + normal
                            + "'");
        }
        String id = baseName(guest);
        Duration deadline = null;
        List<String> outbound = List.of();
        Integer maxConcurrent = null;
        Integer maxQueued = null;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq).trim();
            String value = eq < 0 ? "" : p.substring(eq + 1).trim();
            switch (key) {
                case "id" -> {
                    if (!value.matches("[A-Za-z0-9._-]{1,64}")) {
                        throw invalid(
                                where,
                                entry,
                                "id '" + value + "' must be 1-64 of A-Z a-z 0-9 . _ -");
                    }
                    id = value;
                }
                case "deadline" ->
                        deadline = Settings.parseDuration("deadline of route " + match, value);
                case "outbound" -> outbound = Arrays.asList(value.trim().split("\\s+"));
                case "maxConcurrent" -> maxConcurrent = count(where, entry, key, value, 1);
                case "maxQueued" -> maxQueued = count(where, entry, key, value, 0);
                default ->
                        throw invalid(
                                where,
                                entry,
                                "unknown route parameter '"
                                        + key
                                        + "'; valid parameters are "
                                        + PARAMETERS);
            }
        }
        return new RouteSpec(
                match, host, path, guest, id, deadline, outbound, maxConcurrent, maxQueued);
    }

    private static int count(String where, String entry, String key, String value, int min) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= 100_000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is valid
        }
        throw invalid(
                where,
                entry,
                key + " '" + value + "' must be a whole number from " + min + " to 100000");
    }

    /**
     * {@code path} as a request path looks when it is routed: %-escapes decoded (UTF-8), empty,
     * {@code .} and {@code ..} segments removed (RFC 3986 section 5.2.4; a trailing slash stays).
     */
    static String normalized(String path) {
        String[] segments = decode(path).split("/", -1);
        Deque<String> out = new ArrayDeque<>();
        boolean trailingSlash = false;
        for (int i = 1; i < segments.length; i++) {
            String segment = segments[i];
            boolean last = i == segments.length - 1;
            switch (segment) {
                case "", "." -> trailingSlash = last;
                case ".." -> {
                    out.pollLast();
                    trailingSlash = last;
                }
                default -> {
                    out.addLast(segment);
                    trailingSlash = false;
                }
            }
        }
        String joined = "/" + String.join("/", out);
        return trailingSlash && !out.isEmpty() ? joined + "/" : joined;
    }

    /** Decodes every {@code %XX}; a {@code %} not followed by two hex digits stays as it is. */
    private static String decode(String path) {
        Matcher m = ESCAPE.matcher(path);
        if (!m.find()) {
            return path;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int from = 0;
        do {
            bytes.writeBytes(path.substring(from, m.start()).getBytes(StandardCharsets.UTF_8));
            bytes.write(Integer.parseInt(m.group(1), 16));
            from = m.end();
        } while (m.find());
        bytes.writeBytes(path.substring(from).getBytes(StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String baseName(String guest) {
        String name = guest.substring(guest.lastIndexOf('/') + 1);
        String id = name.substring(0, name.lastIndexOf('.'));
        return id.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static ConfigurationException invalid(String where, String entry, String why) {
        return new ConfigurationException("invalid route '" + entry + "' in " + where + ": " + why);
    }

    /** True if this route takes a request for {@code requestHost} and {@code requestPath}. */
    public boolean matches(String requestHost, String requestPath) {
        return hostMatches(requestHost) && pathMatches(requestPath);
    }

    boolean hostMatches(String requestHost) {
        return hostMatches(host, requestHost);
    }

    private static boolean hostMatches(String host, String requestHost) {
        if (host == null) {
            return true;
        }
        if (requestHost == null) {
            return false;
        }
        String h = requestHost.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (host.startsWith("*.")) {
            return h.length() > host.length() - 1 && h.endsWith(host.substring(1));
        }
        return h.equals(host);
    }

    boolean pathMatches(String requestPath) {
        if (path.endsWith("/*")) {
            String prefix = path.substring(0, path.length() - 2);
            return requestPath.startsWith(prefix)
                    && (requestPath.length() == prefix.length()
                            || requestPath.charAt(prefix.length()) == '/');
        }
        return requestPath.equals(path);
    }

    /**
     * Whether this route would take requests that {@code other} takes today: some request matches
     * both, and this one is matched first (it is more specific).
     */
    public boolean takesRequestsFrom(RouteSpec other) {
        return hostsOverlap(host, other.host)
                && pathsOverlap(this, other)
                && mostSpecificFirst(this, other) < 0;
    }

    /**
     * Whether every request this route matches is one {@code area} matches too: its host is the
     * area's host or under its {@code *.} pattern (any host only if the area has none), its path
     * the area's path or under its prefix.
     */
    public boolean liesWithin(RouteSpec area) {
        boolean hostInside;
        if (area.host == null) {
            hostInside = true;
        } else if (host == null) {
            hostInside = false;
        } else if (host.startsWith("*.")) {
            String suffix = host.substring(1);
            hostInside =
                    area.host.startsWith("*.")
                            && (suffix.equals(area.host.substring(1))
                                    || suffix.endsWith(area.host.substring(1)));
        } else {
            hostInside = area.hostMatches(host);
        }
        if (!area.path.endsWith("/*")) {
            return hostInside && path.equals(area.path);
        }
        return hostInside && area.pathMatches(representative(path));
    }

    private static boolean hostsOverlap(String a, String b) {
        if (a == null || b == null) {
            return true;
        }
        if (!a.startsWith("*.") || !b.startsWith("*.")) {
            return matchesHost(a, b) || matchesHost(b, a);
        }
        return a.endsWith(b.substring(1)) || b.endsWith(a.substring(1));
    }

    private static boolean matchesHost(String pattern, String exact) {
        return !exact.startsWith("*.") && hostMatches(pattern, exact);
    }

    private static boolean pathsOverlap(RouteSpec a, RouteSpec b) {
        return a.pathMatches(representative(b.path)) || b.pathMatches(representative(a.path));
    }

    /** An exact path itself; for a prefix, the prefix (the shortest path it matches). */
    private static String representative(String path) {
        if (!path.endsWith("/*")) {
            return path;
        }
        String prefix = path.substring(0, path.length() - 2);
        return prefix.isEmpty() ? "/" : prefix;
    }

    /**
     * Most specific first: an exact host, then {@code *.} hosts with the longer suffix first, then
     * no host; within those, exact paths before prefixes, longer paths first. Routes still tied
     * never take the same request (or are duplicates) and are ordered by host and path, so the
     * order never depends on how the routes were listed.
     */
    static int mostSpecificFirst(RouteSpec a, RouteSpec b) {
        int c = Integer.compare(b.hostRank(), a.hostRank());
        if (c == 0 && a.host != null) {
            c = Integer.compare(b.host.length(), a.host.length());
        }
        if (c == 0) {
            c = Boolean.compare(!b.path.endsWith("/*"), !a.path.endsWith("/*"));
        }
        if (c == 0) {
            c = Integer.compare(b.path.length(), a.path.length());
        }
        if (c == 0) {
            c = String.valueOf(a.host).compareTo(String.valueOf(b.host));
        }
        return c != 0 ? c : a.path.compareTo(b.path);
    }

    private int hostRank() {
        return host == null ? 0 : host.startsWith("*.") ? 1 : 2;
    }

    /** The route as it would be written in {@code routes}, with every parameter it has. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(match).append(" -> ").append(guest);
        if (!id.equals(baseName(guest))) {
            sb.append("; id=").append(id);
        }
        if (deadline != null) {
            sb.append("; deadline=").append(deadline.toMillis()).append("ms");
        }
        if (!outbound.isEmpty()) {
            sb.append("; outbound=").append(String.join(" ", outbound));
        }
        if (maxConcurrent != null) {
            sb.append("; maxConcurrent=").append(maxConcurrent);
        }
        if (maxQueued != null) {
            sb.append("; maxQueued=").append(maxQueued);
        }
        return sb.toString();
    }
}
