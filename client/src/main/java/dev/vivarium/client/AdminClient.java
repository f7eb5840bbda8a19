package dev.vivarium.client;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The client side of the admin API ({@code dev.vivarium.core.deploy.AdminApi}): uploads, lists,
 * removes and streams logs with {@code Authorization: Bearer TOKEN}, and turns every failure into a
 * {@link CliException} that says what to do.
 */
public final class AdminClient {
    /** Uploads larger than this show their progress. */
    public static final long PROGRESS_THRESHOLD = 1 << 20;

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(5);

    /**
     * How the caller's user sets what a message asks for: the option that names the server, the
     * ways to give the server and the token, and the option that sets how long to wait.
     */
    public record Hints(String serverOption, String server, String token, String waitOption) {
        /** The {@code vivarium} command's options. */
        public static final Hints CLI =
                new Hints(
                        "--server",
                        "--server URL or VIVARIUM_SERVER",
                        "--token TOKEN or VIVARIUM_TOKEN",
                        "--wait");
    }

    private final String server;
    private final String adminPath;
    private final String token;
    private final Hints hints;
    private final HttpClient http;

    public AdminClient(String server, String adminPath, String token) {
        this(server, adminPath, token, Hints.CLI);
    }

    public AdminClient(String server, String adminPath, String token, Hints hints) {
        this.hints = Objects.requireNonNull(hints, "hints");
        if (server == null || server.isBlank()) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "no server given: set " + hints.server() + " (e.g. https://edge.example.com)");
        }
        String s = server.strip();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(s);
        } catch (IllegalArgumentException e) {
            throw new CliException(
                    ExitCodes.USAGE, hints.serverOption() + " '" + server + "' is not a URL", e);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new CliException(
                    ExitCodes.USAGE,
                    hints.serverOption() + " '" + server + "' must start with http:// or https://");
        }
        this.server = s;
        this.adminPath = adminPath.startsWith("/") ? adminPath : "/" + adminPath;
        this.token = token;
        this.http =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(CONNECT_TIMEOUT)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build();
    }

    public String server() {
        return server;
    }

    private String deployments() {
        return server + adminPath + "/deployments";
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(String url) {
        if (token == null || token.isBlank()) {
            throw new CliException(
                    ExitCodes.UNAUTHORIZED,
                    "missing token: pass " + hints.token() + " (the server's admin.token)");
        }
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token.strip());
    }

    /** Uploads {@code module}; the deployment's JSON. */
    public Map<String, Object> upload(
            String id, String route, String ttl, byte[] module, PrintWriter progress) {
        String url =
                deployments()
                        + "/"
                        + enc(id)
                        + "?route="
                        + enc(route)
                        + (ttl == null ? "" : "&ttl=" + enc(ttl));
        long total = module.length;
        HttpRequest.BodyPublisher body =
                total > PROGRESS_THRESHOLD
                        ? HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(
                                        () -> new Progress(module, progress)),
                                total)
                        : HttpRequest.BodyPublishers.ofByteArray(module);
        HttpRequest r = request(url).header("Content-Type", "application/wasm").PUT(body).build();
        HttpResponse<String> resp = send(r, "upload " + id);
        return object(resp);
    }

    /** Every deployment, as the server lists them. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> list() {
        HttpResponse<String> resp = send(request(deployments()).GET().build(), "list");
        Object d = object(resp).get("deployments");
        return d instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }

    /**
     * The server's {@code GET .../nodes}: the nodes serving its deployment store and the generation
     * each serves; null from an older server without it.
     */
    public Map<String, Object> nodes() {
        HttpResponse<String> resp;
        try {
            resp =
                    http.send(
                            request(server + adminPath + "/nodes").GET().build(),
                            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.INTERNAL, "interrupted", e);
        }
        if (resp.statusCode() == 404) {
            return null;
        }
        if (resp.statusCode() >= 300) {
            throw failure("list the nodes", resp.statusCode(), resp.body());
        }
        return object(resp);
    }

    public void remove(String id) {
        send(request(deployments() + "/" + enc(id)).DELETE().build(), "remove " + id);
    }

    /**
     * Streams the logs of {@code id} (Server-Sent Events) to {@code sink} until the stream ends:
     * each entry as {@code ID: text}, faults as {@code error} events. A followed stream the server
     * ended after its longest duration is resumed with {@code Last-Event-ID}; one that ended
     * because the deployment was removed ends with an {@code error} event saying so.
     */
    public void logs(String id, boolean follow, Consumer<SseReader.Event> sink) {
        String lastEventId = null;
        while (true) {
            String[] seen = {lastEventId, null}; // the last event id, why the stream ended
            logsOnce(
                    id,
                    follow,
                    lastEventId,
                    e -> {
                        if (e.id() != null) {
                            seen[0] = e.id();
                        }
                        if (e.type().equals("end")) {
                            seen[1] =
                                    String.valueOf(
                                            MiniJson.string(MiniJson.parse(e.data()), "reason"));
                        } else {
                            sink.accept(entry(id, e));
                        }
                    });
            if (!follow || !"maxDuration".equals(seen[1])) {
                if ("removed".equals(seen[1])) {
                    sink.accept(new SseReader.Event("error", "deployment " + id + " was removed"));
                }
                return;
            }
            lastEventId = seen[0];
        }
    }

    /** An event of the server's stream as a line to print: the entry's text, or the data as is. */
    private static SseReader.Event entry(String id, SseReader.Event e) {
        if (e.data().startsWith("{")) {
            try {
                Object doc = MiniJson.parse(e.data());
                String text = MiniJson.string(doc, "text");
                if (text != null) {
                    boolean fault = "fault".equals(MiniJson.string(doc, "stream"));
                    return new SseReader.Event(
                            fault ? "error" : "message", id + ": " + text, e.id());
                }
            } catch (RuntimeException notJson) {
                // printed as it came
            }
        }
        return e;
    }

    private void logsOnce(
            String id, boolean follow, String lastEventId, Consumer<SseReader.Event> sink) {
        String url = deployments() + "/" + enc(id) + "/logs" + (follow ? "?follow=1" : "");
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(url))
                        .header("Authorization", "Bearer " + checkedToken())
                        .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpRequest r = b.GET().build();
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(r, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.INTERNAL, "interrupted", e);
        }
        try (InputStream in = resp.body()) {
            if (resp.statusCode() >= 300) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                throw failure("logs " + id, resp.statusCode(), text);
            }
            String type = resp.headers().firstValue("content-type").orElse("");
            if (type.startsWith("application/json")) {
                // a server without the stream answers the buffered entries as one JSON document
                entries(id, new String(in.readAllBytes(), StandardCharsets.UTF_8), sink);
                return;
            }
            SseReader.read(
                    new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), sink);
        } catch (IOException e) {
            throw new CliException(
                    ExitCodes.UNREACHABLE, "the log stream of " + id + " broke: " + e, e);
        }
    }

    /** The {@code entries} of a JSON log answer, each as an event: faults as errors. */
    private static void entries(String id, String json, Consumer<SseReader.Event> sink) {
        Object doc = MiniJson.parse(json);
        if (!(doc instanceof java.util.Map<?, ?> m)
                || !(m.get("entries") instanceof List<?> list)) {
            return;
        }
        for (Object e : list) {
            String text = MiniJson.string(e, "text");
            if (text != null) {
                boolean fault = "fault".equals(MiniJson.string(e, "stream"));
                sink.accept(new SseReader.Event(fault ? "error" : "message", id + ": " + text));
            }
        }
    }

    private String checkedToken() {
        request(server); // the same missing-token message
        return token.strip();
    }

    /**
     * Polls {@code url} until it answers something else than 404 (the route is live), at most
     * {@code wait}; the status it answered.
     */
    public int awaitServing(String url, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        long pause = 50;
        while (true) {
            HttpRequest r =
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(10))
                            .GET()
                            .build();
            try {
                int status = http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status != 404) {
                    return status;
                }
            } catch (IOException e) {
                // not up yet; try again below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.INTERNAL, "interrupted", e);
            }
            if (System.nanoTime() > deadline) {
                throw new CliException(
                        ExitCodes.NOT_SERVING,
                        "uploaded, but "
                                + url
                                + " still answers 404 after "
                                + wait.toSeconds()
                                + " s; check the route (vivarium list) or wait longer ("
                                + hints.waitOption()
                                + ")");
            }
            sleep(pause);
            pause = Math.min(pause * 2, 1000);
        }
    }

    private HttpResponse<String> send(HttpRequest r, String what) {
        HttpResponse<String> resp;
        try {
            resp = http.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.INTERNAL, "interrupted", e);
        }
        if (resp.statusCode() >= 300) {
            throw failure(what, resp.statusCode(), resp.body());
        }
        return resp;
    }

    private CliException unreachable(IOException e) {
        String why =
                e instanceof ConnectException
                        ? "connection refused"
                        : e instanceof HttpConnectTimeoutException
                                ? "connection timed out"
                                : e.toString();
        return new CliException(
                ExitCodes.UNREACHABLE,
                "cannot reach "
                        + server
                        + " ("
                        + why
                        + "); is the server running? check "
                        + hints.server(),
                e);
    }

    /** The server's {@code {"error": "..."}}, or its body cut short when it is not that JSON. */
    public static String serverMessage(String body) {
        try {
            String m = MiniJson.string(MiniJson.parse(body), "error");
            if (m != null) {
                return m;
            }
        } catch (RuntimeException e) {
            // not the admin API's JSON: show the text itself
        }
        String b = body == null ? "" : body.strip();
        return b.isEmpty() ? "(no message)" : b.length() > 300 ? b.substring(0, 300) + "..." : b;
    }

    private CliException failure(String what, int status, String body) {
        String msg = serverMessage(body);
        if (status == 401) {
            return new CliException(
                    ExitCodes.UNAUTHORIZED,
                    "bad or missing token: "
                            + server
                            + " answered 401 ("
                            + msg
                            + "); pass the server's admin.token with "
                            + hints.token());
        }
        if (status == 403) {
            return new CliException(
                    ExitCodes.UNAUTHORIZED,
                    server + " answered 403 (" + msg + "); its admin.allowFrom leaves you out");
        }
        if (status == 404 && msg.startsWith("no such admin resource")) {
            return new CliException(
                    ExitCodes.REFUSED,
                    what + ": the server has no such endpoint (" + msg + "); is it older?");
        }
        return new CliException(
                ExitCodes.REFUSED,
                what + " refused by " + server + " (HTTP " + status + "): " + msg);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(HttpResponse<String> resp) {
        try {
            Object o = MiniJson.parse(resp.body());
            if (o instanceof Map<?, ?> m) {
                return (Map<String, Object>) m;
            }
        } catch (RuntimeException e) {
            // reported below
        }
        throw new CliException(
                ExitCodes.REFUSED,
                "the server's answer is not the admin API's JSON: " + serverMessage(resp.body()));
    }

    /**
     * What a deploy prints first: the deployment, its size, route and expiry, from the upload
     * answer {@code info}.
     */
    public static String deployedLine(String id, int moduleBytes, Object info) {
        return "deployed "
                + id
                + " ("
                + moduleBytes
                + " bytes), route "
                + MiniJson.string(info, "route")
                + ", expires "
                + MiniJson.string(info, "expiresAt");
    }

    /** Sleeps; an interrupt ends the command (exit code INTERNAL). */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.INTERNAL, "interrupted", e);
        }
    }

    /**
     * The URLs an upload's answer names ({@code url}, then {@code urls}; a server with {@code
     * deployments.domain} gives each deployment a host name), each once.
     */
    public static List<String> urls(Map<String, Object> info) {
        List<String> urls = new ArrayList<>();
        if (info.get("url") instanceof String u) {
            urls.add(u);
        }
        if (info.get("urls") instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof String u && !urls.contains(u)) {
                    urls.add(u);
                }
            }
        }
        return urls;
    }

    /** The upload's bytes, printing how much is sent every 10%. */
    private static final class Progress extends FilterInputStream {
        private final long total;
        private final PrintWriter out;
        private long sent;
        private int shown = -1;

        Progress(byte[] bytes, PrintWriter out) {
            super(new ByteArrayInputStream(bytes));
            this.total = bytes.length;
            this.out = out;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, Math.min(len, 64 * 1024));
            if (n > 0) {
                sent += n;
                int tenth = (int) (sent * 10 / total);
                if (tenth != shown) {
                    shown = tenth;
                    out.printf(
                            "uploading: %d%% (%d of %d KB)%n",
                            tenth * 10, sent / 1024, total / 1024);
                    out.flush();
                }
            }
            return n;
        }
    }
}
