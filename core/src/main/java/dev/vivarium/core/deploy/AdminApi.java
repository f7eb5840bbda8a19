package dev.vivarium.core.deploy;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.config.Settings;
import dev.vivarium.core.log.Clip;
import dev.vivarium.core.log.GuestLog;
import dev.vivarium.core.log.RefusalLog;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP API under {@code admin.path} (default {@code /_vivarium}), answered by the host on
 * any host name, only with {@code Authorization: Bearer <admin.token>}:
 *
 * <ul>
 *   <li>{@code GET /_vivarium/deployments} - every deployment, configured and uploaded (JSON);
 *   <li>{@code GET /_vivarium/deployments/ID} - one;
 *   <li>{@code PUT
 *       /_vivarium/deployments/ID?route=MATCH[&ttl=1h][&deadline=2s][&outbound=URL]...[&maxConcurrent=N][&maxQueued=N]}
 *       with the module ({@code .wasm} bytes or WebAssembly text) as the body - uploads or
 *       replaces; 201 (new) or 200 (replaced) with the deployment;
 *   <li>{@code DELETE /_vivarium/deployments/ID} - removes an upload and its KV store; 204.
 * </ul>
 *
 * <p>Errors are JSON {@code {"error": "..."}} with 400 (bad input: the message names it), 401, 404,
 * 405, 409 (route conflict, configured id, {@code deployments.max}) or 500.
 */
public final class AdminApi {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.admin");

    /** 401s and 403s, which anyone can cause: a few lines a second, paths cut short. */
    private static final RefusalLog REFUSED = new RefusalLog(LOG);

    private final UploadOptions options;
    private final String prefix;
    private final byte[] expected;
    private final Uploads uploads;
    private final List<DeploymentInfo> configured;

    /**
     * @param configured the deployments configured in {@code routes}, for listing
     */
    public AdminApi(Uploads uploads, List<DeploymentInfo> configured) {
        this.uploads = Objects.requireNonNull(uploads, "uploads");
        this.options = uploads.options();
        if (!options.adminEnabled()) {
            throw new IllegalArgumentException("admin.token is not set");
        }
        this.prefix = options.adminPath();
        this.expected = options.adminToken().getBytes(StandardCharsets.UTF_8);
        this.configured = List.copyOf(configured);
    }

    /** The log of refused admin requests (tests read what it held back). */
    static RefusalLog refusals() {
        return REFUSED;
    }

    /** The answer to an upload larger than {@code maxRequestBodySize}. */
    public Outcome tooLarge(long max) {
        return json(413, error("the upload is larger than maxRequestBodySize (" + max + " bytes)"));
    }

    /** Whether a request path is the admin API's. */
    public boolean matches(String path) {
        return options.isAdminPath(path);
    }

    /**
     * Answers one admin request; never throws: bad input gets a 4xx, anything unexpected a logged
     * 500, both with a JSON message.
     */
    public Outcome handle(GuestRequest r) {
        if (!options.adminAllows(r.clientAddress())) {
            REFUSED.info(
                    "refused admin request {} {} from {}: not in admin.allowFrom",
                    Clip.clip(r.method(), 20),
                    Clip.clip(r.path(), GuestLog.MAX_PATH),
                    r.clientAddress());
            return json(403, error("the admin API does not answer this client's address"));
        }
        String auth = r.headers().first("authorization");
        String refused = auth == null ? "no Authorization header" : refusal(auth);
        if (refused != null) {
            REFUSED.info(
                    "refused admin request {} {} from {}: {}",
                    Clip.clip(r.method(), 20),
                    Clip.clip(r.path(), GuestLog.MAX_PATH),
                    r.clientAddress(),
                    refused);
            Headers h = jsonHeaders();
            h.add("www-authenticate", "Bearer realm=\"vivarium\"");
            return Outcome.response(401, h, error("missing or wrong bearer token"));
        }
        if (!matches(r.path())) {
            // routed on the decoded path, but the raw one spells the prefix differently
            return json(404, error("write the admin path " + prefix + " without escapes"));
        }
        String rest = r.path().substring(prefix.length());
        try {
            if (rest.isEmpty()
                    || rest.equals("/")
                    || rest.equals("/deployments")
                    || rest.equals("/deployments/")) {
                if (!r.method().equals("GET")) {
                    return notAllowed("GET");
                }
                return json(200, "{\"deployments\":[" + join(all()) + "]}");
            }
            if (!rest.startsWith("/deployments/")) {
                return json(404, error("no such admin resource: " + r.path()));
            }
            String id =
                    URLDecoder.decode(
                            rest.substring("/deployments/".length()), StandardCharsets.UTF_8);
            return switch (r.method()) {
                case "GET" -> get(id);
                case "PUT" -> put(id, r);
                case "DELETE" -> delete(id, r);
                default -> notAllowed("GET, PUT, DELETE");
            };
        } catch (UploadException e) {
            return json(e.status(), error(e.getMessage()));
        } catch (IllegalArgumentException e) {
            return json(400, error(e.getMessage()));
        } catch (RuntimeException | Error e) {
            // an Error too (an OutOfMemoryError while compiling, say): the client gets JSON, not
            // an empty 500, and nothing of the host's internals
            LOG.error(
                    "admin request {} {} from {} failed",
                    r.method(),
                    r.path(),
                    r.clientAddress(),
                    e);
            return json(500, error("internal error; the server log has the details"));
        }
    }

    /**
     * Why {@code Authorization: auth} is refused, or null when it is {@code Bearer <admin.token>}.
     * The scheme is case-insensitive (RFC 9110 section 11.1); the token is compared in constant
     * time.
     */
    private String refusal(String auth) {
        String[] schemeAndToken = auth.strip().split("[ \t]+", 2);
        if (!schemeAndToken[0].equalsIgnoreCase("Bearer")) {
            return "not a Bearer token";
        }
        String token = schemeAndToken.length < 2 ? "" : schemeAndToken[1];
        return MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), expected)
                ? null
                : "wrong token";
    }

    private Outcome get(String id) {
        for (DeploymentInfo d : all()) {
            if (d.id().equals(id)) {
                return json(200, d.toJson());
            }
        }
        return json(404, error("no deployment '" + id + "'"));
    }

    private Outcome put(String id, GuestRequest r) {
        Map<String, List<String>> q = query(r.pathAndQuery());
        for (String name : q.keySet()) {
            if (!List.of("route", "ttl", "deadline", "outbound", "maxConcurrent", "maxQueued")
                    .contains(name)) {
                throw new UploadException(
                        400,
                        "unknown parameter '"
                                + Clip.clip(name, 64)
                                + "'; expected route, ttl, deadline, outbound, maxConcurrent,"
                                + " maxQueued");
            }
        }
        if (r.body().length == 0) {
            throw new UploadException(
                    400, "the body must be the module (.wasm or WebAssembly text)");
        }
        List<String> outbound = new ArrayList<>();
        for (String v : q.getOrDefault("outbound", List.of())) {
            for (String e : v.strip().split("[\\s,]+")) {
                if (!e.isEmpty()) {
                    outbound.add(e);
                }
            }
        }
        boolean existed = uploads.get(id) != null;
        DeploymentInfo d =
                uploads.deploy(
                        id,
                        single(q, "route"),
                        duration(q, "ttl"),
                        duration(q, "deadline"),
                        outbound,
                        count(q, "maxConcurrent", 1),
                        count(q, "maxQueued", 0),
                        r.body());
        LOG.info(
                "admin {} deployment {} from {}",
                existed ? "replaced" : "uploaded",
                id,
                r.clientAddress());
        return json(existed ? 200 : 201, d.toJson());
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

    private Outcome delete(String id, GuestRequest r) {
        if (uploads.remove(id)) {
            LOG.info("admin removed deployment {} from {}", id, r.clientAddress());
            return Outcome.response(204, new Headers(), new byte[0]);
        }
        for (DeploymentInfo d : configured) {
            if (d.id().equals(id)) {
                return json(
                        409,
                        error(
                                "deployment '"
                                        + id
                                        + "' is configured in 'routes'; it cannot be removed here"));
            }
        }
        return json(404, error("no uploaded deployment '" + id + "'"));
    }

    private List<DeploymentInfo> all() {
        List<DeploymentInfo> all = new ArrayList<>(configured);
        all.addAll(uploads.list());
        return all;
    }

    private static Map<String, List<String>> query(String pathAndQuery) {
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

    private static String join(List<DeploymentInfo> ds) {
        return ds.stream().map(DeploymentInfo::toJson).collect(Collectors.joining(","));
    }

    private static Outcome notAllowed(String allow) {
        Headers h = jsonHeaders();
        h.add("allow", allow);
        return Outcome.response(405, h, error("method not allowed; allowed: " + allow));
    }

    private static Outcome json(int status, String body) {
        return Outcome.response(status, jsonHeaders(), body.getBytes(StandardCharsets.UTF_8));
    }

    private static Outcome json(int status, byte[] body) {
        return Outcome.response(status, jsonHeaders(), body);
    }

    private static byte[] error(String message) {
        return ("{\"error\":" + Json.string(message) + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static Headers jsonHeaders() {
        Headers h = new Headers();
        h.add("content-type", "application/json");
        h.add("cache-control", "no-store");
        return h;
    }
}
