package dev.vivarium.core.routing;

import dev.vivarium.core.config.ConfigurationException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
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
    private record Bucket<T>(ShardedMap<Entry<T>> exact, ShardedMap<Entry<T>> prefixes) {
        static <T> Bucket<T> empty() {
            return new Bucket<>(ShardedMap.empty(), ShardedMap.empty());
        }

        boolean isEmpty() {
            return exact.isEmpty() && prefixes.isEmpty();
        }

        Entry<T> at(RouteSpec s) {
            return (isPrefix(s) ? prefixes : exact).get(key(s));
        }

        Bucket<T> with(Entry<T> e) {
            RouteSpec s = e.spec();
            return isPrefix(s)
                    ? new Bucket<>(exact, prefixes.with(key(s), e))
                    : new Bucket<>(exact.with(key(s), e), prefixes);
        }

        Bucket<T> without(RouteSpec s) {
            return isPrefix(s)
                    ? new Bucket<>(exact, prefixes.without(key(s)))
                    : new Bucket<>(exact.without(key(s)), prefixes);
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

        void addTo(List<Entry<T>> all) {
            all.addAll(exact.values());
            all.addAll(prefixes.values());
        }
    }

    private ShardedMap<Bucket<T>> exactHosts;
    private ShardedMap<Bucket<T>> wildcardHosts;
    private Bucket<T> anyHost;
    private int size;

    /** Every route, most specific first: sorted once someone asks (listings, not requests). */
    private volatile List<Entry<T>> sorted;

    /**
     * @throws ConfigurationException if two routes match the same requests (same host and path)
     */
    public RouteTable(List<RouteSpec> routes, Function<RouteSpec, T> target) {
        this(ShardedMap.empty(), ShardedMap.empty(), Bucket.empty(), 0, List.of(), routes, target);
    }

    /** Its fields are set here and never changed after: the table is immutable once built. */
    private RouteTable(
            ShardedMap<Bucket<T>> exactHosts,
            ShardedMap<Bucket<T>> wildcardHosts,
            Bucket<T> anyHost,
            int size,
            Collection<RouteSpec> remove,
            Collection<RouteSpec> add,
            Function<RouteSpec, T> target) {
        this.exactHosts = exactHosts;
        this.wildcardHosts = wildcardHosts;
        this.anyHost = anyHost;
        this.size = size;
        for (RouteSpec s : remove) {
            Bucket<T> b = bucket(s);
            Entry<T> old = b == null ? null : b.at(s);
            if (old != null && old.spec().equals(s)) {
                store(s, b.without(s));
                this.size--;
            }
        }
        for (RouteSpec s : add) {
            Bucket<T> b = bucket(s);
            if (b == null) {
                b = Bucket.empty();
            }
            Entry<T> old = b.at(s);
            if (old != null) {
                throw new ConfigurationException(
                        "routes '" + old.spec() + "' and '" + s + "' match the same requests");
            }
            store(s, b.with(new Entry<>(s, target.apply(s))));
            this.size++;
        }
    }

    /** The group of routes with {@code s}'s host, or null. */
    private Bucket<T> bucket(RouteSpec s) {
        String host = s.host();
        if (host == null) {
            return anyHost;
        }
        return host.startsWith("*.") ? wildcardHosts.get(host.substring(1)) : exactHosts.get(host);
    }

    /** Replaces the group of routes with {@code s}'s host (only while being built). */
    private void store(RouteSpec s, Bucket<T> b) {
        String host = s.host();
        if (host == null) {
            anyHost = b;
        } else if (host.startsWith("*.")) {
            String suffix = host.substring(1);
            wildcardHosts =
                    b.isEmpty() ? wildcardHosts.without(suffix) : wildcardHosts.with(suffix, b);
        } else {
            exactHosts = b.isEmpty() ? exactHosts.without(host) : exactHosts.with(host, b);
        }
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
        Bucket<T> b = bucket(spec);
        Entry<T> e = b == null ? null : b.at(spec);
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
            exactHosts.values().forEach(b -> b.addTo(all));
            wildcardHosts.values().forEach(b -> b.addTo(all));
            anyHost.addTo(all);
            all.sort((a, b) -> RouteSpec.mostSpecificFirst(a.spec(), b.spec()));
            sorted = s = List.copyOf(all);
        }
        return s;
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
