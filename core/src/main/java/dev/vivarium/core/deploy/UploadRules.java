package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.routing.RouteSpec;
import java.time.Duration;
import java.util.List;

/**
 * Where an upload may take requests: never under the admin API's path, never from a configured
 * route (a more specific route that overlaps one: {@code 127.0.0.1/*}, {@code *.0.0.1/*}, an exact
 * path under a configured {@code /x/*}), and only within {@code deployments.routes}. Routes less
 * specific than a configured one are fine: they only get what it does not match.
 */
final class UploadRules {
    private final UploadOptions options;
    private final List<RouteSpec> configured;

    UploadRules(UploadOptions options, List<RouteSpec> configured) {
        this.options = options;
        this.configured = List.copyOf(configured);
    }

    /** The admin API takes every request under its path, so no route may be there. */
    void checkAdminPath(RouteSpec spec) {
        if (options.isAdminPath(spec.path())) {
            throw new UploadException(409, adminPathMessage(spec, options));
        }
    }

    static String adminPathMessage(RouteSpec spec, UploadOptions options) {
        return "route '"
                + spec
                + "' is under the admin API's path "
                + options.adminPath()
                + ", which takes every request there: move the route or set admin.path";
    }

    /** Refuses a route that takes a configured route's requests or lies outside the areas. */
    void checkArea(RouteSpec spec) {
        for (RouteSpec c : configured) {
            if (spec.takesRequestsFrom(c)) {
                throw new UploadException(
                        409,
                        "route "
                                + spec.match()
                                + " would take requests from the configured route '"
                                + c
                                + "'; choose a route that no configured one matches");
            }
        }
        for (RouteSpec area : options.routes()) {
            if (spec.liesWithin(area)) {
                return;
            }
        }
        throw new UploadException(
                409,
                "route "
                        + spec.match()
                        + " is outside deployments.routes ("
                        + String.join(
                                ", ", options.routes().stream().map(RouteSpec::match).toList())
                        + "), where uploads may take requests");
    }

    /** The upload's route as a route entry, checked like one of setting {@code routes}. */
    static RouteSpec spec(
            String id,
            String match,
            String fileName,
            Duration deadline,
            List<String> outbound,
            Integer maxConcurrent,
            Integer maxQueued) {
        if (match == null || match.isBlank()) {
            throw new UploadException(
                    400,
                    "the route's MATCH is missing, e.g. route=/try/* or route=demo.example.com/* (or route, routes or hostname in a bundle's vivarium.toml)");
        }
        // the spec is written as a route entry: nothing may add entries or parameters to it
        if (match.contains(";") || match.contains(",") || match.contains("->")) {
            throw new UploadException(400, "route MATCH '" + match + "' is not one MATCH");
        }
        for (String o : outbound) {
            if (o.contains(";") || o.contains(",")) {
                throw new UploadException(400, "outbound entry '" + o + "' is not one entry");
            }
        }
        StringBuilder entry =
                new StringBuilder(match.strip())
                        .append(" -> ")
                        .append(fileName)
                        .append("; id=")
                        .append(id);
        if (deadline != null) {
            entry.append("; deadline=").append(deadline.toMillis()).append("ms");
        }
        if (!outbound.isEmpty()) {
            entry.append("; outbound=").append(String.join(" ", outbound));
        }
        if (maxConcurrent != null) {
            entry.append("; maxConcurrent=").append(maxConcurrent);
        }
        if (maxQueued != null) {
            entry.append("; maxQueued=").append(maxQueued);
        }
        try {
            return RouteSpec.parse(entry.toString(), "the upload's parameters");
        } catch (ConfigurationException e) {
            throw new UploadException(400, e.getMessage(), e);
        }
    }
}
