package dev.vivarium.core.deploy;

import dev.vivarium.core.config.Settings;
import dev.vivarium.core.log.Clip;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An upload: {@code PUT .../deployments/ID?route=MATCH[&ttl=1h][&deadline=2s][&outbound=URL]...}
 * with the module as the body, or the same through {@link Uploads#deploy(UploadRequest)}.
 *
 * @param id the deployment id
 * @param route the route's MATCH, e.g. {@code /try/*} or {@code demo.example.com/*}
 * @param ttl its lifetime from now; null for {@code deployments.defaultTtl}
 * @param deadline its guest's deadline; null for the site's (at most {@code
 *     deployments.maxDeadline})
 * @param outbound where its guest may send requests (allowlist entries)
 * @param maxConcurrent its requests running at once; null for the engine's {@code maxConcurrent}
 * @param maxQueued its requests waiting for an instance; null for the engine's {@code maxQueued}
 * @param module a {@code .wasm} module, or WebAssembly text
 */
public record UploadRequest(
        String id,
        String route,
        Duration ttl,
        Duration deadline,
        List<String> outbound,
        Integer maxConcurrent,
        Integer maxQueued,
        byte[] module) {
    static final List<String> PARAMETERS =
            List.of("route", "ttl", "deadline", "outbound", "maxConcurrent", "maxQueued");

    /** An upload with the engine's admission limits. */
    public UploadRequest(
            String id,
            String route,
            Duration ttl,
            Duration deadline,
            List<String> outbound,
            byte[] module) {
        this(id, route, ttl, deadline, outbound, null, null, module);
    }

    public UploadRequest {
        outbound = List.copyOf(outbound);
        Objects.requireNonNull(module, "module");
    }

    /**
     * Reads the admin API's query parameters.
     *
     * @throws UploadException 400 naming the parameter that is wrong
     */
    public static UploadRequest fromQuery(String id, String pathAndQuery, byte[] body) {
        Map<String, List<String>> q = query(pathAndQuery);
        for (String name : q.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new UploadException(
                        400,
                        "unknown parameter '"
                                + Clip.clip(name, 64)
                                + "'; expected "
                                + String.join(", ", PARAMETERS));
            }
        }
        if (body == null || body.length == 0) {
            throw new UploadException(
                    400,
                    "the body must be the module (.wasm or WebAssembly text) or a bundle (zip or tar.gz)");
        }
        List<String> outbound = new ArrayList<>();
        for (String v : q.getOrDefault("outbound", List.of())) {
            for (String e : v.strip().split("[\\s,]+")) {
                if (!e.isEmpty()) {
                    outbound.add(e);
                }
            }
        }
        return new UploadRequest(
                id,
                single(q, "route"),
                duration(q, "ttl"),
                duration(q, "deadline"),
                outbound,
                count(q, "maxConcurrent", 1),
                count(q, "maxQueued", 0),
                body);
    }

    /** A whole-number parameter from {@code min} to 100000, or null if absent. */
    private static Integer count(Map<String, List<String>> q, String name, int min) {
        String v = single(q, name);
        if (v == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= min && n <= 100_000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is valid
        }
        throw new UploadException(
                400,
                "parameter "
                        + name
                        + " '"
                        + Clip.clip(v, 64)
                        + "' must be a whole number from "
                        + min
                        + " to 100000");
    }

    static Map<String, List<String>> query(String pathAndQuery) {
        Map<String, List<String>> q = new LinkedHashMap<>();
        int i = pathAndQuery.indexOf('?');
        if (i < 0) {
            return q;
        }
        for (String pair : pathAndQuery.substring(i + 1).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k =
                    URLDecoder.decode(
                            eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v =
                    eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return q;
    }

    private static String single(Map<String, List<String>> q, String name) {
        List<String> v = q.get(name);
        if (v == null) {
            return null;
        }
        if (v.size() > 1) {
            throw new UploadException(400, "parameter '" + name + "' is given more than once");
        }
        return v.get(0);
    }

    private static Duration duration(Map<String, List<String>> q, String name) {
        String v = single(q, name);
        if (v == null) {
            return null;
        }
        return Settings.parseDuration(
                v, why -> new UploadException(400, "invalid " + name + " '" + v + "': " + why));
    }

    @Override
    public String toString() {
        return "upload " + id + " at " + route + " (" + module.length + " bytes)";
    }
}
