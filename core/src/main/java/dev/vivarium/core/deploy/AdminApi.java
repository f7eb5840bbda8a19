package dev.vivarium.core.deploy;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.log.Clip;
import dev.vivarium.core.log.GuestLog;
import dev.vivarium.core.log.LogBuffer;
import dev.vivarium.core.log.RefusalLog;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Objects;
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
 *   <li>{@code DELETE /_vivarium/deployments/ID} - removes an upload and its KV store; 204;
 *   <li>{@code GET /_vivarium/nodes} - the nodes serving the deployment store and the generation
 *       each serves ({@link NodeList});
 *   <li>{@code PATCH /_vivarium/deployments/ID?ttl=2h} - a new lifetime from now for an upload (the
 *       same module published again, its KV store kept); 200 with the deployment;
 *   <li>{@code GET /_vivarium/deployments/ID/logs[?after=SEQ|?follow=1]} - its log, polled (JSON)
 *       or followed ({@link LogFollow}, server-sent events);
 *   <li>{@code GET /_vivarium/stats} - requests, latency, pools, memory, KV sizes ({@link
 *       AdminStats});
 *   <li>{@code GET /_vivarium/dashboard/} - the dashboard page ({@link Dashboard}), the one
 *       resource served without the token: it holds no data and asks for the token.
 * </ul>
 *
 * <p>Errors are JSON {@code {"error": "..."}} ({@link AdminError}) with 400 (bad input: the message
 * names it), 401, 403, 404, 405, 409 (route conflict, configured id, {@code deployments.max},
 * outside {@code deployments.routes}), 413, 500, or 503 with {@code Retry-After} when {@code
 * deployments.maxConcurrentUploads} uploads are being compiled. Bodies are the typed records {@link
 * DeploymentList}, {@link DeploymentInfo} and {@link UploadResult}, what a CLI or a dashboard
 * reads.
 */
public final class AdminApi {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.admin");

    /** 401s and 403s, which anyone can cause: a few lines a second, paths cut short. */
    private static final RefusalLog REFUSED = new RefusalLog(LOG);

    /** The log of refused admin requests (tests read what it held back). */
    static RefusalLog refusals() {
        return REFUSED;
    }

    /** What the admin API does with deployments; {@link #over} gives the engine's. */
    public interface Deployments {
        /** Every deployment, configured and uploaded. */
        List<DeploymentInfo> list();

        /** Uploads or replaces one; throws {@link UploadException} when refused. */
        UploadResult upload(UploadRequest request);

        /** Removes an uploaded one; false if there is no uploaded deployment {@code id}. */
        boolean remove(String id);

        /** Gives uploaded deployment {@code id} a new lifetime from now. */
        default UploadResult extend(String id, java.time.Duration ttl) {
            throw new UploadException(405, "extending a deployment's ttl is not supported here");
        }

        /** Whether {@code id} is configured in {@code routes} (and so cannot be removed). */
        boolean isConfigured(String id);

        /** The guest output and faults buffered for deployment {@code id}; null: none kept. */
        default LogBuffer logs(String id) {
            return null;
        }

        /** The nodes serving the deployment store, and the generation each serves. */
        default NodeList nodes() throws IOException {
            return NodeList.notShared("file");
        }

        /** The numbers {@code GET /stats} answers (the dashboard's charts). */
        default AdminStats stats() {
            return new AdminStats(java.time.Instant.now(), 0, 0, List.of());
        }
    }

    /** The engine's deployments: uploads through {@code uploads}, listed by {@code registry}. */
    public static Deployments over(Uploads uploads, DeploymentRegistry registry) {
        return over(uploads, registry, id -> null);
    }

    /** As {@link #over(Uploads, DeploymentRegistry)}, with each deployment's log buffer. */
    public static Deployments over(
            Uploads uploads,
            DeploymentRegistry registry,
            java.util.function.Function<String, LogBuffer> logs) {
        return over(uploads, registry, logs, null);
    }

    /** As {@link #over(Uploads, DeploymentRegistry, java.util.function.Function)}, with stats. */
    public static Deployments over(
            Uploads uploads,
            DeploymentRegistry registry,
            java.util.function.Function<String, LogBuffer> logs,
            java.util.function.Supplier<AdminStats> stats) {
        return new Deployments() {
            @Override
            public AdminStats stats() {
                return stats == null ? Deployments.super.stats() : stats.get();
            }

            @Override
            public LogBuffer logs(String id) {
                return logs.apply(id);
            }

            @Override
            public List<DeploymentInfo> list() {
                return registry.list();
            }

            @Override
            public UploadResult upload(UploadRequest request) {
                return uploads.deploy(request);
            }

            @Override
            public boolean remove(String id) {
                return uploads.remove(id);
            }

            @Override
            public UploadResult extend(String id, java.time.Duration ttl) {
                return uploads.extend(id, ttl);
            }

            @Override
            public boolean isConfigured(String id) {
                return registry.isConfigured(id);
            }

            @Override
            public NodeList nodes() throws IOException {
                return registry.repository.nodes();
            }
        };
    }

    private final UploadOptions options;
    private final String prefix;
    private final byte[] expected;
    private final Deployments deployments;
    private final LogFollow follow;

    public AdminApi(UploadOptions options, Deployments deployments) {
        this(options, deployments, new LogFollow(LogFollow.Options.defaults()));
    }

    /** As above, with the limits of {@code /deployments/ID/logs?follow=1} streams. */
    public AdminApi(UploadOptions options, Deployments deployments, LogFollow follow) {
        this.follow = Objects.requireNonNull(follow, "follow");
        this.options = Objects.requireNonNull(options, "options");
        this.deployments = Objects.requireNonNull(deployments, "deployments");
        if (!options.adminEnabled()) {
            throw new IllegalArgumentException("admin.token is not set");
        }
        this.prefix = options.adminPath();
        this.expected = options.adminToken().getBytes(StandardCharsets.UTF_8);
    }

    /** The answer to an upload larger than {@code maxRequestBodySize}. */
    public Outcome tooLarge(long max) {
        return error(
                new AdminError(
                        413, "the upload is larger than maxRequestBodySize (" + max + " bytes)"));
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
        return handle(r, "http");
    }

    /**
     * As {@link #handle(GuestRequest)} for a request that came in with {@code scheme} ({@code http}
     * or {@code https}): the deployments' URLs in the answers start with it and the request's Host.
     */
    public Outcome handle(GuestRequest r, String scheme) {
        String host = r.headers().first("host");
        String base =
                host == null || host.isBlank()
                        ? null
                        : (scheme == null ? "http" : scheme) + "://" + host.strip();
        if (!options.adminAllows(r.clientAddress())) {
            REFUSED.info(
                    "refused admin request {} {} from {}: not in admin.allowFrom",
                    Clip.clip(r.method(), 20),
                    Clip.clip(r.path(), GuestLog.MAX_PATH),
                    r.clientAddress());
            return error(
                    new AdminError(403, "the admin API does not answer this client's address"));
        }
        if (matches(r.path())) {
            // the dashboard's page holds no data: a browser loads it without a token, and the page
            // sends the token with every request for data
            Outcome page = Dashboard.page(r.path().substring(prefix.length()), r.method());
            if (page != null) {
                return page;
            }
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
            Outcome o = error(new AdminError(401, "missing or wrong bearer token"));
            o.headers().add("www-authenticate", "Bearer realm=\"vivarium\"");
            return o;
        }
        if (!matches(r.path())) {
            // routed on the decoded path, but the raw one spells the prefix differently
            return error(
                    new AdminError(404, "write the admin path " + prefix + " without escapes"));
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
                return json(200, new DeploymentList(deployments.list()).toJson(base));
            }
            if (rest.equals("/nodes")) {
                if (!r.method().equals("GET")) {
                    return notAllowed("GET");
                }
                return nodes();
            }
            if (rest.equals("/stats")) {
                return r.method().equals("GET")
                        ? json(200, deployments.stats().toJson())
                        : notAllowed("GET");
            }
            if (!rest.startsWith("/deployments/")) {
                return error(new AdminError(404, "no such admin resource: " + r.path()));
            }
            String tail = rest.substring("/deployments/".length());
            if (tail.endsWith("/logs")) {
                if (!r.method().equals("GET")) {
                    return notAllowed("GET");
                }
                return logs(
                        URLDecoder.decode(
                                tail.substring(0, tail.length() - "/logs".length()),
                                StandardCharsets.UTF_8),
                        r);
            }
            String id = URLDecoder.decode(tail, StandardCharsets.UTF_8);
            return switch (r.method()) {
                case "GET" -> get(id, base);
                case "PUT" -> put(id, r, base);
                case "DELETE" -> delete(id, r);
                case "PATCH" -> extend(id, r);
                default -> notAllowed("GET, PUT, PATCH, DELETE");
            };
        } catch (UploadException e) {
            return error(e.toError());
        } catch (IllegalArgumentException e) {
            return error(new AdminError(400, e.getMessage()));
        } catch (RuntimeException | Error e) {
            // an Error too (an OutOfMemoryError while compiling, say): the client gets JSON, not
            // an empty 500, and nothing of the host's internals
            LOG.error(
                    "admin request {} {} from {} failed",
                    r.method(),
                    r.path(),
                    r.clientAddress(),
                    e);
            return error(new AdminError(500, "internal error; the server log has the details"));
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

    private Outcome get(String id, String base) {
        for (DeploymentInfo d : deployments.list()) {
            if (d.id().equals(id)) {
                return json(200, d.toJson(base));
            }
        }
        return error(new AdminError(404, "no deployment '" + id + "'"));
    }

    /**
     * {@code GET /deployments/ID/logs?follow=1} streams them instead, as {@link LogFollow} says.
     *
     * <p>{@code GET /deployments/ID/logs[?after=SEQ]}: the buffered entries after sequence number
     * {@code SEQ} (default 0: all), as {@code {"deployment":ID,"dropped":N,"entries":[{"seq":1,
     * "time":"2026-12-03T16:20:00Z","stream":"guest","text":"..."}]}}; {@code stream} is {@code
     * guest} (hostcall_debug, WASI stdout/stderr) or {@code fault} (a trap, panic, deadline or
     * limit).
     */
    private Outcome logs(String id, GuestRequest r) {
        if (deployments.list().stream().noneMatch(d -> d.id().equals(id))) {
            return error(new AdminError(404, "no deployment '" + id + "'"));
        }
        LogBuffer buffer = deployments.logs(id);
        long after = 0;
        boolean following = false;
        String query = r.pathAndQuery();
        int q = query.indexOf('?');
        if (q >= 0) {
            for (String param : query.substring(q + 1).split("&")) {
                if (param.startsWith("after=")) {
                    String v = param.substring("after=".length());
                    try {
                        after = Long.parseLong(v);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(
                                "after must be a sequence number (0 or more), got '"
                                        + Clip.clip(v, 40)
                                        + "'");
                    }
                } else if (param.startsWith("follow=")) {
                    following = followParam(param.substring("follow=".length()));
                }
            }
        }
        if (following) {
            String lastEventId = r.headers().first("last-event-id");
            if (lastEventId != null && !lastEventId.isBlank()) {
                try {
                    after = Long.parseLong(lastEventId.strip());
                } catch (NumberFormatException e) {
                    // not one of ours (ids are sequence numbers): start from the oldest kept
                    after = 0;
                }
            }
            if (buffer == null) {
                return error(new AdminError(404, "no log is kept for deployment '" + id + "'"));
            }
            return follow.follow(id, buffer, after);
        }
        StringBuilder b =
                new StringBuilder("{\"deployment\":")
                        .append(Json.string(id))
                        .append(",\"dropped\":")
                        .append(buffer == null ? 0 : buffer.dropped())
                        .append(",\"entries\":[");
        if (buffer != null) {
            boolean first = true;
            for (LogBuffer.Entry e : buffer.after(after)) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                b.append(LogFollow.entryJson(e));
            }
        }
        return json(200, b.append("]}").toString());
    }

    /**
     * {@code GET /nodes}: the {@link NodeList} of the deployment store; 503 with {@code
     * Retry-After} while a shared store's database cannot be reached.
     */
    private Outcome nodes() {
        try {
            return json(200, deployments.nodes().toJson());
        } catch (RepositoryUnavailableException e) {
            return error(new AdminError(503, "cannot list the nodes: " + e.getMessage(), 5));
        } catch (IOException e) {
            LOG.warn("listing the nodes failed: {}", e.toString());
            return error(new AdminError(500, "cannot list the nodes: " + e.getMessage()));
        }
    }

    private static boolean followParam(String v) {
        return switch (v) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default ->
                    throw new IllegalArgumentException(
                            "follow must be 1 or 0, got '" + Clip.clip(v, 40) + "'");
        };
    }

    private Outcome put(String id, GuestRequest r, String base) {
        UploadResult result =
                deployments.upload(UploadRequest.fromQuery(id, r.pathAndQuery(), r.body()));
        LOG.info(
                "admin {} deployment {} from {}; it answers at {}",
                result.replaced() ? "replaced" : "uploaded",
                id,
                r.clientAddress(),
                String.join(" ", result.deployment().urls(base)));
        return json(result.status(), result.toJson(base));
    }

    /** {@code PATCH /deployments/ID?ttl=2h}: a new lifetime from now; 200 with the deployment. */
    private Outcome extend(String id, GuestRequest r) {
        String query = r.pathAndQuery();
        int q = query.indexOf('?');
        String ttl = null;
        if (q >= 0) {
            for (String param : query.substring(q + 1).split("&")) {
                if (param.startsWith("ttl=")) {
                    ttl = URLDecoder.decode(param.substring(4), StandardCharsets.UTF_8);
                }
            }
        }
        if (ttl == null) {
            throw new IllegalArgumentException("PATCH needs ttl=DURATION, e.g. ?ttl=2h");
        }
        String v = ttl;
        UploadResult result =
                deployments.extend(
                        id,
                        dev.vivarium.core.config.Settings.parseDuration(
                                v,
                                why ->
                                        new UploadException(
                                                400,
                                                "invalid ttl '" + Clip.clip(v, 40) + "': " + why)));
        LOG.info("admin extended deployment {} from {}", id, r.clientAddress());
        return json(200, result.toJson());
    }

    private Outcome delete(String id, GuestRequest r) {
        if (deployments.remove(id)) {
            LOG.info("admin removed deployment {} from {}", id, r.clientAddress());
            return Outcome.response(204, new Headers(), new byte[0]);
        }
        if (deployments.isConfigured(id)) {
            return error(
                    new AdminError(
                            409,
                            "deployment '"
                                    + id
                                    + "' is configured in 'routes'; it cannot be removed here"));
        }
        return error(new AdminError(404, "no uploaded deployment '" + id + "'"));
    }

    private static Outcome notAllowed(String allow) {
        Outcome o = error(new AdminError(405, "method not allowed; allowed: " + allow));
        o.headers().add("allow", allow);
        return o;
    }

    private static Outcome error(AdminError e) {
        Outcome o = json(e.status(), e.toJson());
        if (e.retryAfterSeconds() > 0) {
            o.headers().add("retry-after", Long.toString(e.retryAfterSeconds()));
        }
        return o;
    }

    private static Outcome json(int status, String body) {
        Headers h = new Headers();
        h.add("content-type", "application/json");
        h.add("cache-control", "no-store");
        return Outcome.response(status, h, body.getBytes(StandardCharsets.UTF_8));
    }
}
