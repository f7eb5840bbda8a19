package dev.vivarium.core.routing;

import dev.vivarium.core.config.ConfigurationException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Routes matched most specific first: host routes before host-less ones (an exact host before
 * {@code *.} hosts, a longer {@code *.} suffix before a shorter one), exact paths before prefixes,
 * longer prefixes before shorter; never the order they were listed in.
 *
 * <p>A match costs a few hash lookups whatever the number of routes, never a scan: routes are
 * grouped by host (exact hosts by name, {@code *.} hosts by suffix, host-less ones together), and
 * within a host by exact path and by prefix; a request tries its host, then each {@code *.} suffix
 * of its host from the longest, then no host, and in each its exact path, then its path's prefixes
 * from the longest (one per {@code /}). Immutable: {@link #with} gives a new table that shares
 * every group it does not change, so one deployment's routes are published without rebuilding the
 * rest.
 *
 * @param <T> what a route resolves to (the engine's deployment)
 */
public final class RouteTable<T> {
    /** A route and what it resolves to. */
    private record Entry<T>(RouteSpec spec, T target) {}

    /** The routes of one host (or of none): by exact path, and by prefix (without its "/*"). */
    private static final class Bucket<T> {
        static final Bucket<?> EMPTY = new Bucket<>(Map.of(), Map.of());

        final Map<String, Entry<T>> exact;
        final Map<String, Entry<T>> prefixes;

        Bucket(Map<String, Entry<T>> exact, Map<String, Entry<T>> prefixes) {
            this.exact = exact;
            this.prefixes = prefixes;
        }

        @SuppressWarnings("unchecked")
        static <T> Bucket<T> empty() {
            return (Bucket<T>) EMPTY;
        }

        boolean isEmpty() {
            return exact.isEmpty() && prefixes.isEmpty();
        }

        int size() {
            return exact.size() + prefixes.size();
        }

        Entry<T> match(String path) {
            Entry<T> e = exact.get(path);
            if (e != null || prefixes.isEmpty()) {
                return e;
            }
            // "/a/b" is taken by prefix "/a/b", then "/a", then "" (the route /*)
            e = prefixes.get(path);
            for (int i = path.lastIndexOf('/'); e == null && i >= 0; ) {
                e = prefixes.get(path.substring(0, i));
                i = i == 0 ? -1 : path.lastIndexOf('/', i - 1);
            }
            return e;
        }
    }

    /** A bucket being changed: copies of its maps, made on first change. */
    private static final class Edit<T> {
        final Map<String, Entry<T>> exact;
        final Map<String, Entry<T>> prefixes;

        Edit(Bucket<T> b) {
            this.exact = new HashMap<>(b.exact);
            this.prefixes = new HashMap<>(b.prefixes);
        }

        Map<String, Entry<T>> mapFor(RouteSpec s) {
            return isPrefix(s) ? prefixes : exact;
        }

        Bucket<T> done() {
            return exact.isEmpty() && prefixes.isEmpty()
                    ? Bucket.empty()
                    : new Bucket<>(exact, prefixes); // never changed again
        }
    }

    private final Map<String, Bucket<T>> exactHosts;
    private final Map<String, Bucket<T>> wildcardHosts;
    private final Bucket<T> anyHost;
    private final int size;

    /** Every route, most specific first: sorted once someone asks (listings, not requests). */
    private volatile List<Entry<T>> sorted;

    /**
     * @throws ConfigurationException if two routes match the same requests (same host and path)
     */
    public RouteTable(List<RouteSpec> routes, Function<RouteSpec, T> target) {
        this(Map.of(), Map.of(), Bucket.empty(), 0, List.of(), routes, target);
    }

    private RouteTable(
            Map<String, Bucket<T>> exactHosts,
            Map<String, Bucket<T>> wildcardHosts,
            Bucket<T> anyHost,
            int size,
            Collection<RouteSpec> remove,
            Collection<RouteSpec> add,
            Function<RouteSpec, T> target) {
        Map<String, Edit<T>> exactEdits = new HashMap<>();
        Map<String, Edit<T>> wildcardEdits = new HashMap<>();
        Edit<T>[] anyEdit = newEdits();
        for (RouteSpec s : remove) {
            Edit<T> e =
                    edit(s, exactHosts, wildcardHosts, anyHost, exactEdits, wildcardEdits, anyEdit);
            Map<String, Entry<T>> m = e.mapFor(s);
            Entry<T> old = m.get(key(s));
            if (old != null && old.spec().equals(s)) {
                m.remove(key(s));
                size--;
            }
        }
        for (RouteSpec s : add) {
            Edit<T> e =
                    edit(s, exactHosts, wildcardHosts, anyHost, exactEdits, wildcardEdits, anyEdit);
            Map<String, Entry<T>> m = e.mapFor(s);
            Entry<T> old = m.putIfAbsent(key(s), new Entry<>(s, target.apply(s)));
            if (old != null) {
                throw new ConfigurationException(
                        "routes '" + old.spec() + "' and '" + s + "' match the same requests");
            }
            size++;
        }
        this.exactHosts = applied(exactHosts, exactEdits);
        this.wildcardHosts = applied(wildcardHosts, wildcardEdits);
        this.anyHost = anyEdit[0] == null ? anyHost : anyEdit[0].done();
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    private static <T> Edit<T>[] newEdits() {
        return (Edit<T>[]) new Edit<?>[1];
    }

    private static <T> Edit<T> edit(
            RouteSpec s,
            Map<String, Bucket<T>> exactHosts,
            Map<String, Bucket<T>> wildcardHosts,
            Bucket<T> anyHost,
            Map<String, Edit<T>> exactEdits,
            Map<String, Edit<T>> wildcardEdits,
            Edit<T>[] anyEdit) {
        String host = s.host();
        if (host == null) {
            if (anyEdit[0] == null) {
                anyEdit[0] = new Edit<>(anyHost);
            }
            return anyEdit[0];
        }
        if (host.startsWith("*.")) {
            String suffix = host.substring(1);
            return wildcardEdits.computeIfAbsent(
                    suffix, k -> new Edit<>(wildcardHosts.getOrDefault(k, Bucket.empty())));
        }
        return exactEdits.computeIfAbsent(
                host, k -> new Edit<>(exactHosts.getOrDefault(k, Bucket.empty())));
    }

    /** {@code buckets} with the edited ones replaced (and emptied ones gone); shared if none. */
    private static <T> Map<String, Bucket<T>> applied(
            Map<String, Bucket<T>> buckets, Map<String, Edit<T>> edits) {
        if (edits.isEmpty()) {
            return buckets;
        }
        Map<String, Bucket<T>> out = new HashMap<>(buckets);
        edits.forEach(
                (k, e) -> {
                    Bucket<T> b = e.done();
                    if (b.isEmpty()) {
                        out.remove(k);
                    } else {
                        out.put(k, b);
                    }
                });
        return Collections.unmodifiableMap(out);
    }

    private static boolean isPrefix(RouteSpec s) {
        return s.path().endsWith("/*");
    }

    /** A route's path as its group knows it: an exact path, or a prefix without its "/*". */
    private static String key(RouteSpec s) {
        String p = s.path();
        return isPrefix(s) ? p.substring(0, p.length() - 2) : p;
    }

    /**
     * This table without the routes {@code remove} (those present and equal) and with {@code add}:
     * what changes is copied, the rest shared.
     *
     * @throws ConfigurationException if a route added matches the same requests as one present
     */
    public RouteTable<T> with(
            Collection<RouteSpec> remove,
            Collection<RouteSpec> add,
            Function<RouteSpec, T> target) {
        return new RouteTable<>(exactHosts, wildcardHosts, anyHost, size, remove, add, target);
    }

    /** The target of the first matching route, or null when no route matches. */
    public T match(String host, String path) {
        if (host != null && !(exactHosts.isEmpty() && wildcardHosts.isEmpty())) {
            String h = normalHost(host);
            Bucket<T> b = exactHosts.get(h);
            Entry<T> e = b == null ? null : b.match(path);
            if (e != null) {
                return e.target();
            }
            if (!wildcardHosts.isEmpty()) {
                // *.example.com takes a.example.com, not example.com: a suffix after a first label
                for (int dot = h.indexOf('.', 1); dot > 0; dot = h.indexOf('.', dot + 1)) {
                    b = wildcardHosts.get(h.substring(dot));
                    e = b == null ? null : b.match(path);
                    if (e != null) {
                        return e.target();
                    }
                }
            }
        }
        Entry<T> e = anyHost.match(path);
        return e == null ? null : e.target();
    }

    /** The request's host as routes name hosts: lower case, without a trailing dot. */
    private static String normalHost(String host) {
        int n = host.length();
        boolean plain = n == 0 || host.charAt(n - 1) != '.';
        for (int i = 0; plain && i < n; i++) {
            char c = host.charAt(i);
            plain = !(c >= 'A' && c <= 'Z') && c < 0x80;
        }
        if (plain) {
            return host;
        }
        String h = host.toLowerCase(java.util.Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /**
     * The route present with the same host and path as {@code spec} (which would take the same
     * requests), or null.
     */
    public RouteSpec sameRequests(RouteSpec spec) {
        String host = spec.host();
        Bucket<T> b =
                host == null
                        ? anyHost
                        : host.startsWith("*.")
                                ? wildcardHosts.get(host.substring(1))
                                : exactHosts.get(host);
        if (b == null) {
            return null;
        }
        Entry<T> e = (isPrefix(spec) ? b.prefixes : b.exact).get(key(spec));
        return e == null ? null : e.spec();
    }

    /** How many routes there are. */
    public int size() {
        return size;
    }

    private List<Entry<T>> sorted() {
        List<Entry<T>> s = sorted;
        if (s == null) {
            List<Entry<T>> all = new ArrayList<>(size);
            for (Bucket<T> b : exactHosts.values()) {
                addAll(all, b);
            }
            for (Bucket<T> b : wildcardHosts.values()) {
                addAll(all, b);
            }
            addAll(all, anyHost);
            all.sort((a, b) -> RouteSpec.mostSpecificFirst(a.spec(), b.spec()));
            sorted = s = List.copyOf(all);
        }
        return s;
    }

    private static <T> void addAll(List<Entry<T>> all, Bucket<T> b) {
        all.addAll(b.exact.values());
        all.addAll(b.prefixes.values());
    }

    /** Every route, most specific first. */
    public List<RouteSpec> specs() {
        return sorted().stream().map(Entry::spec).toList();
    }

    /** Every route's target, most specific first. */
    public List<T> targets() {
        return sorted().stream().map(Entry::target).toList();
    }
}
