package dev.vivarium.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client side of what the Vivarium server does not answer yet, against a tiny server of the
 * JDK's: {@code logs} reading Server-Sent Events from {@code GET .../deployments/ID/logs}, and the
 * progress of a large upload.
 */
@Timeout(60)
class AdminClientTest {
    private static final String TOKEN = "client-test-token-0123456789abcdef";
    private HttpServer server;
    private String base;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/_vivarium/deployments/demo/logs", this::logs);
        server.createContext("/_vivarium/deployments/big", this::upload);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void logs(HttpExchange x) throws IOException {
        seen.add(
                x.getRequestURI()
                        + " "
                        + x.getRequestHeaders().getFirst("Authorization")
                        + " "
                        + x.getRequestHeaders().getFirst("Accept"));
        x.getResponseHeaders().add("Content-Type", "text/event-stream");
        x.sendResponseHeaders(200, 0);
        try (OutputStream out = x.getResponseBody()) {
            // sent in pieces, flushed, as a following stream is
            for (String part :
                    List.of(
                            ": keep-alive\n\n",
                            "id: 1\ndata: demo: GET /demo/\n\n",
                            "event: error\ndata: guest trapped: unreachable\n\n",
                            "data:two\ndata: lines\n\n",
                            "data: never dispatched without a blank line")) {
                out.write(part.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        }
    }

    private void upload(HttpExchange x) throws IOException {
        long n = x.getRequestBody().readAllBytes().length;
        seen.add(x.getRequestMethod() + " " + x.getRequestURI() + " " + n);
        byte[] body =
                ("{\"id\":\"big\",\"route\":\"/big/* -> big\",\"uploaded\":true,"
                                + "\"expiresAt\":\"2026-12-03T17:00:00Z\",\"moduleBytes\":"
                                + n
                                + ",\"kv\":false}")
                        .getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(201, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Test
    void logsFollowReadsEachEventWithItsType() {
        List<SseReader.Event> events = new CopyOnWriteArrayList<>();
        new AdminClient(base, "/_vivarium", TOKEN).logs("demo", true, events::add);
        assertEquals(
                // an event's id stays the last one the stream gave (SSE's last event ID), so
                // that a reconnect resumes after it
                List.of(
                        new SseReader.Event("message", "demo: GET /demo/", "1"),
                        new SseReader.Event("error", "guest trapped: unreachable", "1"),
                        new SseReader.Event("message", "two\nlines", "1")),
                events);
        assertEquals(
                List.of(
                        "/_vivarium/deployments/demo/logs?follow=1 Bearer "
                                + TOKEN
                                + " text/event-stream"),
                seen);
    }

    @Test
    void logsOfAnUnknownDeploymentShowTheServersMessage() {
        CliException e =
                assertThrows(
                        CliException.class,
                        () ->
                                new AdminClient(base, "/_vivarium", TOKEN)
                                        .logs("nope", false, x -> {}));
        assertEquals(ExitCodes.REFUSED, e.exitCode());
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    }

    @Test
    void messagesNameTheCallersOwnSettings() {
        AdminClient.Hints maven =
                new AdminClient.Hints("vivarium.url", "-Dvivarium.url", "-Dvivarium.token", "w");
        CliException noToken =
                assertThrows(
                        CliException.class,
                        () -> new AdminClient(base, "/_vivarium", " ", maven).list());
        assertEquals(ExitCodes.UNAUTHORIZED, noToken.exitCode());
        assertTrue(noToken.getMessage().contains("-Dvivarium.token"), noToken.getMessage());
        CliException badUrl =
                assertThrows(
                        CliException.class,
                        () -> new AdminClient("ftp://x", "/_vivarium", TOKEN, maven));
        assertEquals(
                "vivarium.url 'ftp://x' must start with http:// or https://", badUrl.getMessage());
        CliException cli =
                assertThrows(
                        CliException.class, () -> new AdminClient(base, "/_vivarium", "").list());
        assertTrue(cli.getMessage().contains("--token TOKEN"), cli.getMessage());
    }

    @Test
    void aLargeUploadShowsItsProgress() {
        StringWriter progress = new StringWriter();
        byte[] module = new byte[3 * 1024 * 1024];
        Map<String, Object> info =
                new AdminClient(base, "/_vivarium", TOKEN)
                        .upload("big", "/big/*", "1h", module, new PrintWriter(progress, true));
        assertEquals("big", info.get("id"));
        assertEquals((long) module.length, info.get("moduleBytes"));
        assertEquals(
                List.of("PUT /_vivarium/deployments/big?route=%2Fbig%2F*&ttl=1h " + module.length),
                seen);
        List<String> lines = progress.toString().lines().toList();
        assertTrue(lines.size() >= 10, progress.toString());
        assertEquals("uploading: 100% (3072 of 3072 KB)", lines.get(lines.size() - 1));
    }

    @Test
    void serverMessagesAreTheJsonErrorOrTheBodyCutShort() {
        assertEquals(
                "no deployment 'x'",
                AdminClient.serverMessage("{\"error\":\"no deployment 'x'\"}"));
        assertEquals("<html>oops</html>", AdminClient.serverMessage("<html>oops</html>"));
        assertEquals("(no message)", AdminClient.serverMessage(""));
    }
}
