package dev.vivarium.core.routing;

import dev.vivarium.core.config.ConfigurationException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Routes ordered from most to least specific, so the first match wins: host routes before host-less
 * ones (an exact host before {@code *.} hosts, a longer {@code *.} suffix before a shorter one),
 * exact paths before prefixes, longer prefixes before shorter; never the order they were listed in.
 *
 * @param <T> what a route resolves to (the engine's deployment)
 */
public final class RouteTable<T> {
    private final List<RouteSpec> specs;
    private final List<T> targets;

    public RouteTable(List<RouteSpec> routes, Function<RouteSpec, T> target) {
        List<RouteSpec> sorted = new ArrayList<>(routes);
        sorted.sort(RouteSpec::mostSpecificFirst);
        for (int i = 1; i < sorted.size(); i++) {
            RouteSpec a = sorted.get(i - 1);
            RouteSpec b = sorted.get(i);
            if (RouteSpec.mostSpecificFirst(a, b) == 0) {
                throw new ConfigurationException(
                        "routes '" + a + "' and '" + b + "' match the same requests");
            }
        }
        this.specs = List.copyOf(sorted);
        List<T> t = new ArrayList<>(sorted.size());
        for (RouteSpec s : sorted) {
            t.add(target.apply(s));
        }
        this.targets = t;
    }

    /** The target of the first matching route, or null when no route matches. */
    public T match(String host, String path) {
        for (int i = 0; i < specs.size(); i++) {
            if (specs.get(i).matches(host, path)) {
                return targets.get(i);
            }
        }
        return null;
    }

    public List<RouteSpec> specs() {
        return specs;
    }

    /** Every route's target, most specific first. */
    public List<T> targets() {
        return java.util.Collections.unmodifiableList(targets);
    }
}
