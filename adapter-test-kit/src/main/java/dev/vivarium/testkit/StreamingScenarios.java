package dev.vivarium.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Responses streamed through the adapter's {@code ServerExchange.openBody}: the admin API's log
 * follow ({@code GET /deployments/ID/logs?follow=1}, server-sent events) receives each line as the
 * guest prints it, and a long backlog arrives whole as a body of unknown length. Part of the kit
 * every adapter runs through {@link AdapterScenarios}.
 */
@Timeout(120)
public interface StreamingScenarios extends KitContext {
    /** A guest that prints one line with hostcall_debug and answers 200 with no body. */
    String TALKER =
            "(module (import \"env\" \"hostcall_debug\" (func $d (param i32 i32)))"
                    + " (memory 1) (data (i32.const 0) \"hello from talk\")"
                    + " (func (export \"run\") (call $d (i32.const 0) (i32.const 15))))";

    /** The end of a stream, put on the queue of lines after the last one. */
    String EOF = "\u0000eof";

    private static HttpClient client() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static HttpRequest.Builder admin(KitServer server, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(60));
    }

    private static void upload(KitServer server, String id, String route, String module)
            throws Exception {
        HttpResponse<String> put =
                client().send(
                                admin(server, "/_vivarium/deployments/" + id + "?route=" + route)
                                        .PUT(HttpRequest.BodyPublishers.ofString(module))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, put.statusCode(), put.body());
    }

    /** Follows a deployment's log on another thread: its lines, then {@link #EOF}. */
    private static BlockingQueue<String> follow(
            KitServer server, String id, String lastEventId, List<HttpResponse<?>> response)
            throws Exception {
        HttpRequest.Builder get = admin(server, "/_vivarium/deployments/" + id + "/logs?follow=1");
        if (lastEventId != null) {
            get.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> r =
                client().send(get.GET().build(), HttpResponse.BodyHandlers.ofLines());
        response.add(r);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader =
                new Thread(
                        () -> {
                            try (Stream<String> s = r.body()) {
                                s.forEach(lines::add);
                            } catch (RuntimeException e) {
                                lines.add("failed: " + e);
                            } finally {
                                lines.add(EOF);
                            }
                        },
                        "follow-" + id);
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    /** Takes lines until one starts with {@code prefix}; fails after 20 s or at the end. */
    private static String until(BlockingQueue<String> lines, String prefix) throws Exception {
        List<String> seen = new ArrayList<>();
        while (true) {
            String line = lines.poll(20, TimeUnit.SECONDS);
            assertNotNull(line, "no '" + prefix + "' within 20 s; saw " + seen);
            assertTrue(!line.equals(EOF), "the stream ended before '" + prefix + "'; saw " + seen);
            if (line.startsWith(prefix)) {
                return line;
            }
            seen.add(line);
        }
    }

    /** Only blank lines are left before the end of the stream. */
    private static void assertEnds(BlockingQueue<String> lines) throws Exception {
        for (String line; (line = lines.poll(20, TimeUnit.SECONDS)) != EOF; ) {
            assertNotNull(line, "the stream does not end");
            assertEquals("", line, "nothing after the end event");
        }
    }

    private static Map<String, String> followSettings(Path kv) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("routes", "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kv.toString());
        s.put("admin.token", TOKEN);
        s.put("poolSize", "1");
        s.put("maxRequestBodySize", "16KB");
        s.put("guestLog.followHeartbeat", "200ms");
        return s;
    }

    @Test
    default void aLogFollowReceivesEachLineAsTheGuestPrintsItAndEndsWhenTheDeploymentIsRemoved(
            @TempDir Path kv) throws Exception {
        try (KitServer server = start(followSettings(kv), "")) {
            upload(server, "talk", "/talk", TALKER);
            List<HttpResponse<?>> response = new ArrayList<>();
            BlockingQueue<String> lines = follow(server, "talk", null, response);
            assertEquals(200, response.get(0).statusCode());
            assertEquals(
                    "text/event-stream;charset=utf-8",
                    response.get(0)
                            .headers()
                            .firstValue("content-type")
                            .orElse("")
                            .replace(" ", ""));
            until(lines, ": following deployment talk");
            // a quiet stream sends heartbeats: the stream is open before the guest says anything
            until(lines, ":");

            assertEquals(200, server.get("/talk").getStatus());
            assertEquals("id: 1", until(lines, "id: "));
            String data = until(lines, "data: ");
            assertTrue(data.contains("\"stream\":\"guest\",\"text\":\"hello from talk\""), data);

            assertEquals(200, server.get("/talk").getStatus());
            assertEquals("id: 2", until(lines, "id: "), "each line as it is printed");

            // resumed after the last event seen: only what came after it
            List<HttpResponse<?>> resumed = new ArrayList<>();
            BlockingQueue<String> again = follow(server, "talk", "1", resumed);
            assertEquals("id: 2", until(again, "id: "));

            HttpResponse<String> delete =
                    client().send(
                                    admin(server, "/_vivarium/deployments/talk").DELETE().build(),
                                    HttpResponse.BodyHandlers.ofString());
            assertEquals(204, delete.statusCode(), delete.body());
            assertEquals("event: end", until(lines, "event: "));
            assertEquals("data: {\"reason\":\"removed\"}", until(lines, "data: "));
            assertEnds(lines);
            assertEquals("event: end", until(again, "event: "));
            assertEquals(200, server.get("/hello").getStatus(), "the server still answers");
        }
    }

    @Test
    default void aLongBacklogStreamsAsOneBodyOfUnknownLengthUntilFollowMaxDuration(@TempDir Path kv)
            throws Exception {
        Map<String, String> s = followSettings(kv);
        s.put("guestLog.bufferLines", "3000");
        s.put("guestLog.maxLines", "3000");
        s.put("guestLog.maxBytes", "8MB");
        s.put("guestLog.bytesPerSecond", "8MB");
        s.put("guestLog.linesPerSecond", "5000");
        s.put("guestLog.followMaxDuration", "3s");
        s.put("guestLog.followers", "1");
        // 3000 lines of 1000 bytes: a body of 3 MB
        s.put("routes", "/flood -> wat/fixtures/debug_flood.wat; id=flood");
        try (KitServer server = start(s, "")) {
            assertEquals(200, server.get("/flood").getStatus());
            HttpResponse<String> kept =
                    client().send(
                                    admin(server, "/_vivarium/deployments/flood/logs?after=2999")
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            assertTrue(kept.body().contains("\"seq\":3000,"), "3000 lines kept");
            List<HttpResponse<?>> response = new ArrayList<>();
            BlockingQueue<String> lines = follow(server, "flood", null, response);
            assertEquals(200, response.get(0).statusCode());
            assertTrue(
                    response.get(0).headers().firstValue("content-length").isEmpty(),
                    "a body of unknown length");

            // one stream at a time (guestLog.followers=1): another is refused while it runs
            HttpResponse<String> second =
                    client().send(
                                    admin(server, "/_vivarium/deployments/flood/logs?follow=1")
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, second.statusCode(), second.body());
            assertTrue(second.body().contains("guestLog.followers"), second.body());
            assertTrue(second.headers().firstValue("retry-after").isPresent());

            long expected = 1;
            long bytes = 0;
            while (true) {
                String line = lines.poll(20, TimeUnit.SECONDS);
                assertNotNull(line, "stalled after id " + (expected - 1));
                if (line.startsWith("id: ")) {
                    assertEquals("id: " + expected, line);
                    expected++;
                } else if (line.startsWith("data: ")) {
                    bytes += line.length();
                } else if (line.equals("event: end")) {
                    break;
                }
                assertTrue(!line.equals(EOF), "ended without an end event at " + expected);
            }
            assertEquals(3001, expected, "every buffered line, in order");
            assertTrue(bytes > 3_000_000, bytes + " bytes of data");
            assertEquals("data: {\"reason\":\"maxDuration\"}", until(lines, "data: "));
            assertEnds(lines);
            // the slot is given back when the stream ends
            HttpResponse<String> poll =
                    client().send(
                                    admin(server, "/_vivarium/deployments/flood/logs?after=2999")
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, poll.statusCode(), poll.body());
            assertTrue(poll.body().contains("\"seq\":3000,"), poll.body());
        }
    }
}
