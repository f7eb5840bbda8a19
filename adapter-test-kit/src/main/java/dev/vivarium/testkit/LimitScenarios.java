package dev.vivarium.testkit;

import static dev.vivarium.testkit.KitContext.getAsync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Limits on what a request may take: body sizes (413), a deployment's share of the threads (503
 * with Retry-After), hops (508), concurrency. Part of the kit every adapter runs through {@link
 * AdapterScenarios}.
 */
@Timeout(120)
public interface LimitScenarios extends KitContext {
    @Test
    default void returns413WhenTheContentLengthExceedsTheLimit() throws Exception {
        HttpTester.Request request = KitServer.request("POST", "/echo/upload");
        request.setContent("x".repeat(MAX_BODY + 1));

        HttpTester.Response response = server().send(request);

        assertEquals(413, response.getStatus());
        assertTrue(
                response.getContent()
                        .contains("request body exceeds maxRequestBodySize (1024 bytes)"),
                response.getContent());
    }

    /** No body follows: an answer proves the adapter did not wait for one. */
    @Test
    default void refusesAnOversizedContentLengthBeforeTheBodyIsSent() throws Exception {
        HttpTester.Response response =
                server().send(
                                "POST /echo/x HTTP/1.1\r\nHost: localhost\r\n"
                                        + "Content-Length: 1000000\r\n\r\n");

        assertEquals(413, response.getStatus());
    }

    @Test
    default void returns413WhenAChunkedBodyExceedsTheLimit() throws Exception {
        String chunk = "y".repeat(600);
        String raw =
                "POST /echo/upload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n"
                        + "258\r\n" // 600
                        + chunk
                        + "\r\n258\r\n"
                        + chunk
                        + "\r\n0\r\n\r\n";

        HttpTester.Response response = server().send(raw);

        assertEquals(413, response.getStatus());
        assertTrue(response.getContent().contains("maxRequestBodySize"), response.getContent());
    }

    @Test
    default void aLimitOfZeroRefusesAnyChunkedBodyAndServesRequestsWithout() throws Exception {
        Map<String, String> settings = settings();
        settings.put("maxRequestBodySize", "0");
        try (KitServer server = start(settings, "")) {
            HttpTester.Response chunked =
                    server.send(
                            "POST /echo/upload HTTP/1.1\r\nHost: localhost\r\n"
                                    + "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    + "3\r\nabc\r\n0\r\n\r\n");
            assertEquals(413, chunked.getStatus(), chunked.getContent());
            assertTrue(
                    chunked.getContent().contains("maxRequestBodySize (0 bytes)"),
                    chunked.getContent());

            HttpTester.Response empty =
                    server.send(
                            "POST /echo/empty HTTP/1.1\r\nHost: localhost\r\n"
                                    + "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    + "0\r\n\r\n");
            assertEquals(200, empty.getStatus(), empty.getContent());
            assertEquals("/echo/empty", empty.get("x-path"));
            assertEquals(200, server.get("/echo/get").getStatus());
        }
    }

    @Test
    default void acceptsABodyOfExactlyTheLimit() throws Exception {
        HttpTester.Request request = KitServer.request("POST", "/echo/upload");
        request.setContent("z".repeat(MAX_BODY));

        HttpTester.Response response = server().send(request);

        assertEquals(200, response.getStatus());
        assertEquals(MAX_BODY, response.getContent().length());
    }

    @Test
    default void passesABodyThatArrivesSlowlyInChunksToTheGuest() throws Exception {
        HttpTester.Response response =
                server().sendInParts(
                                200,
                                "POST /echo/slow HTTP/1.1\r\nHost: localhost\r\n"
                                        + "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        + "5\r\nfirst\r\n",
                                "6\r\nsecond\r\n",
                                "0\r\n\r\n");

        assertEquals(200, response.getStatus(), response.getContent());
        assertEquals("firstsecond", response.getContent());
    }

    @Test
    default void servesConcurrentRequests() throws Exception {
        KitServer server = server();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<HttpTester.Response>> responses = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String path = i % 2 == 0 ? "/hello" : "/isolation";
                responses.add(clients.submit(() -> server.get(path)));
            }
            for (int i = 0; i < responses.size(); i++) {
                String expected = i % 2 == 0 ? "Hello, world!" : "global=1 memory=1";
                assertEquals(expected, responses.get(i).get(30, TimeUnit.SECONDS).getContent());
            }
        } finally {
            clients.shutdownNow();
        }
    }

    /**
     * Issue 18 item 7 over HTTP (moved from jetty-module's IsolationScenariosTest): a deployment at
     * its admission limit answers 503 with {@code Retry-After} while another one answers.
     */
    @Test
    default void aFullDeploymentAnswers503WithRetryAfterAndAnotherStillAnswers() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(
                "routes",
                "/spin -> wat/fixtures/loop_forever.wat; deadline=2s; maxConcurrent=1;"
                        + " maxQueued=0\n"
                        + "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kvDirectory().resolve("isolation").toString());
        s.put("poolSize", "1");
        s.put("queueTimeout", "20s");
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try (KitServer server = start(s, "")) {
            CompletableFuture<HttpTester.Response> one = getAsync(server, "/spin", clients);
            CompletableFuture<HttpTester.Response> two = getAsync(server, "/spin", clients);
            // one of them holds the one place until its deadline, the other is refused at once
            HttpTester.Response refused =
                    CompletableFuture.anyOf(one, two).thenApply(r -> (HttpTester.Response) r).get();
            assertEquals(503, refused.getStatus(), refused.toString());
            assertEquals("20", refused.get("retry-after"), "the queueTimeout, in seconds");
            assertEquals(200, server.get("/hello").getStatus(), "another deployment answers");
            HttpTester.Response ran = refused == one.getNow(null) ? two.get() : one.get();
            assertEquals(504, ran.getStatus(), ran.toString());
        } finally {
            clients.shutdownNow();
        }
    }

    /**
     * Issue 18 item 5 over HTTP: a request whose {@code CDN-Loop} says it passed through more
     * Vivarium guests than {@code outbound.maxHops} (3) is answered 508 before its guest runs; one
     * at the limit runs.
     */
    @Test
    default void aRequestPastTheHopLimitIsAnswered508() throws Exception {
        HttpTester.Request looped = KitServer.request("GET", "/hello");
        looped.setHeader("CDN-Loop", "vivarium, Fastly, vivarium");
        looped.add("CDN-Loop", "vivarium; x=1, vivarium");

        HttpTester.Response response = server().send(looped);

        assertEquals(508, response.getStatus(), response.toString());
        assertTrue(
                response.getContent().contains("more than outbound.maxHops (3)"),
                response.getContent());

        HttpTester.Request atTheLimit = KitServer.request("GET", "/hello");
        atTheLimit.setHeader("CDN-Loop", "vivarium, vivarium, vivarium");
        assertEquals(200, server().send(atTheLimit).getStatus());
    }
}
