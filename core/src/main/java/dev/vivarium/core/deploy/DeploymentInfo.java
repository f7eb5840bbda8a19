package dev.vivarium.core.deploy;

import dev.vivarium.core.routing.RouteSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One deployment as operators see it: configured in {@code routes}, or uploaded at run time.
 *
 * @param id the deployment id (names its KV store)
 * @param route its route, as {@code MATCH -> GUEST [; key=value]...}
 * @param uploaded whether it was uploaded at run time (and so expires)
 * @param deployedAt when it was uploaded; null for a configured one
 * @param expiresAt when it is removed with its KV store; null for a configured one
 * @param moduleBytes the size of its module as loaded
 * @param kv whether its guest uses the key-value store
 * @param routes every route of its deployment, this one first (for its URLs)
 * @param assets how many static files it serves (from its bundle)
 */
public record DeploymentInfo(
        String id,
        String route,
        boolean uploaded,
        Instant deployedAt,
        Instant expiresAt,
        long moduleBytes,
        boolean kv,
        List<RouteSpec> routes,
        int assets) {

    public DeploymentInfo {
        routes = List.copyOf(routes);
    }

    /** A deployment whose routes are not known here (no URLs), without assets. */
    public DeploymentInfo(
            String id,
            String route,
            boolean uploaded,
            Instant deployedAt,
            Instant expiresAt,
            long moduleBytes,
            boolean kv) {
        this(id, route, uploaded, deployedAt, expiresAt, moduleBytes, kv, List.of(), 0);
    }

    /**
     * Where it answers, as URLs: a route on any host under {@code base} (the scheme and authority
     * the admin request came to, e.g. {@code http://127.0.0.1:8080}), a route on one host name at
     * that host with the base's scheme and port; wildcard hosts and exact paths that cannot be
     * named are left out.
     */
    public List<String> urls(String base) {
        List<String> urls = new ArrayList<>();
        if (base == null) {
            return urls;
        }
        int schemeEnd = base.indexOf("://");
        String scheme = schemeEnd < 0 ? "http" : base.substring(0, schemeEnd);
        String authority = schemeEnd < 0 ? base : base.substring(schemeEnd + 3);
        int colon = authority.lastIndexOf(':');
        String port =
                colon >= 0 && authority.indexOf(']', colon) < 0 ? authority.substring(colon) : "";
        for (RouteSpec r : routes) {
            String path =
                    r.path().endsWith("*")
                            ? r.path().substring(0, r.path().length() - 1)
                            : r.path();
            String url;
            if (r.host() == null) {
                url = base + path;
            } else if (r.host().startsWith("*.")) {
                continue;
            } else {
                url = scheme + "://" + r.host() + port + path;
            }
            if (!urls.contains(url)) {
                urls.add(url);
            }
        }
        return urls;
    }

    /** As a JSON object. */
    public String toJson() {
        return toJson(null);
    }

    /**
     * As a JSON object, with {@code url} (this route's) and {@code urls} (all of the deployment's)
     * when {@code base} is given (see {@link #urls}).
     */
    public String toJson(String base) {
        StringBuilder b =
                new StringBuilder("{\"id\":")
                        .append(Json.string(id))
                        .append(",\"route\":")
                        .append(Json.string(route))
                        .append(",\"uploaded\":")
                        .append(uploaded)
                        .append(",\"deployedAt\":")
                        .append(deployedAt == null ? "null" : Json.string(deployedAt.toString()))
                        .append(",\"expiresAt\":")
                        .append(expiresAt == null ? "null" : Json.string(expiresAt.toString()))
                        .append(",\"moduleBytes\":")
                        .append(moduleBytes)
                        .append(",\"kv\":")
                        .append(kv)
                        .append(",\"assets\":")
                        .append(assets);
        List<String> urls = urls(base);
        if (!urls.isEmpty()) {
            b.append(",\"url\":").append(Json.string(urls.get(0))).append(",\"urls\":[");
            for (int i = 0; i < urls.size(); i++) {
                b.append(i == 0 ? "" : ",").append(Json.string(urls.get(i)));
            }
            b.append(']');
        }
        return b.append('}').toString();
    }
}
