package dev.vivarium.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP scenarios every server adapter passes: a new adapter gets them all with one small
 * subclass that implements {@link #start}. The scenarios share one server with {@link #settings()};
 * those that need other settings (a limit of zero, the admin API, a context path, a bad setting)
 * start their own.
 *
 * <pre>{@code
 * class MyServerKitTest extends AdapterScenarios {
 *     protected KitServer start(Map<String, String> settings, String contextPath) throws Exception {
 *         // a server on 127.0.0.1, a free port, Vivarium with these settings in front of an
 *         // application that answers as PassThrough says, all under contextPath ("" for the root)
 *     }
 * }
 * }</pre>
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AdapterScenarios {
    /** The shared server's {@code maxRequestBodySize}. */
    protected static final int MAX_BODY = 1024;

    static final String TOKEN = "adapter-test-token-0123456789";
    private static final Path RUST_ECHO = TestGuests.dist().resolve("echo.wasm");
    private static final Path RUST_PANIC_WASM = TestGuests.dist().resolve("panic.wasm");

    @TempDir Path kvDirectory;

    private KitServer shared;
    private KitServer broughtGuests;

    /**
     * Starts a server on 127.0.0.1 (on a free port) with Vivarium configured by {@code settings}
     * (the shared names: filter init-params, handler settings) in front of an application that
     * answers as {@link PassThrough} says, everything below {@code contextPath}.
     *
     * @param contextPath empty for the root, else e.g. {@code /shop}
     * @throws Exception when the server does not start, with Vivarium's message among the causes or
     *     suppressed exceptions; a server that failed to start has released what it held
     */
    protected abstract KitServer start(Map<String, String> settings, String contextPath)
            throws Exception;

    /** Whether the server speaks HTTP/2 in clear text (h2c, upgraded from HTTP/1.1). */
    protected boolean speaksH2c() {
        return true;
    }

    /**
     * Whether the server passes raw (not percent-encoded) UTF-8 bytes in a request target on to the
     * application; Tomcat refuses them itself (400, before any filter).
     */
    protected boolean passesRawUtf8InTheTarget() {
        return true;
    }

    /**
     * Whether the server passes {@code " < >} in a query on to the application (Jetty does, Tomcat
     * with {@code relaxedQueryChars}); the JDK's server refuses them itself (400).
     */
    protected boolean passesQuotesAndAngleBracketsInTheQuery() {
        return true;
    }

    /** The shared server's settings: a route per scenario, a 1 KiB body limit, 2 MB of memory. */
    protected Map<String, String> settings() {
        Map<String, String> s = new LinkedHashMap<>();
        List<String> routes =
                new ArrayList<>(
                        List.of(
                                "/hello -> wat/fixtures/hello_raw.wat",
                                "/trap -> wat/fixtures/trap_div.wat",
                                "/panic -> wat/fixtures/panic.wat",
                                "/slow -> wat/fixtures/loop_forever.wat; deadline=300ms",
                                "/memory-hog -> wat/fixtures/grow_hold.wat; deadline=2s",
                                "/grow -> wat/fixtures/grow_memory.wat",
                                "/bad-pointer -> wat/fixtures/bad_pointer.wat",
                                "/isolation -> wat/fixtures/isolation.wat",
                                "/ip -> wat/fixtures/client_ip.wat",
                                "/echo/* -> wat/fixtures/echo_request.wat",
                                "/echo-path/* -> wat/fixtures/echo_path.wat",
                                "/server-header -> wat/fixtures/server_header.wat",
                                "/status/* -> wat/fixtures/set_status.wat",
                                "/octets -> wat/fixtures/header_octets.wat",
                                "*.example.com/site/* -> wat/fixtures/hello_raw.wat",
                                "*.guests.test/* -> wat/fixtures/hello_raw.wat"));
        // Rust guests from guests/dist, when they have been built
        if (Files.exists(RUST_ECHO)) {
            routes.add("/rust/echo -> dist/echo.wasm");
        }
        if (Files.exists(RUST_PANIC_WASM)) {
            routes.add("/rust/panic -> dist/panic.wasm");
        }
        s.put("routes", String.join("\n", routes));
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kvDirectory.toString());
        s.put("maxRequestBodySize", MAX_BODY + "");
        s.put("poolSize", "2");
        // 32 pages for all instances together, 24 for one
        s.put("maxTotalMemory", "2MB");
        s.put("maxMemoryPages", "24");
        return s;
    }

    /** The shared server, started on first use. */
    protected final KitServer server() throws Exception {
        if (shared == null) {
            shared = start(settings(), "");
        }
        return shared;
    }

    @AfterEach
    void theServerKeepsServing() throws Exception {
        if (shared != null) {
            HttpTester.Response hello = shared.get("/hello");
            assertEquals(200, hello.getStatus(), hello.toString());
            assertEquals("Hello, world!", hello.getContent());
        }
    }

    @AfterAll
    void stopTheServers() throws Exception {
        try {
            if (shared != null) {
                shared.close();
            }
        } finally {
            if (broughtGuests != null) {
                broughtGuests.close();
            }
        }
    }

    @Test
    void answersHelloWorldWithTheGuestsContentType() throws Exception {
        HttpTester.Response response = server().get("/hello");

        assertEquals(200, response.getStatus());
        assertEquals("Hello, world!", response.getContent());
        assertTrue(response.get("content-type").startsWith("text/plain"), response.toString());
        assertEquals("13", response.get("content-length"), response.toString());
        assertNull(response.get(PassThrough.HEADER), "the application must not be reached");
    }

    @Test
    void guestHeadersReplaceTheContainersAndKeepEveryValue() throws Exception {
        HttpTester.Response response = server().get("/server-header");

        assertEquals(200, response.getStatus());
        assertEquals(List.of("guest"), response.getValuesList("server"), response.toString());
        assertEquals(List.of("a", "b"), response.getValuesList("x-multi"), response.toString());
    }

    /**
     * A 1xx would go out as an interim response, so the next pipelined request's response would
     * become this one's; 600 and above are not statuses. The guest's call is refused and the
     * response keeps its status.
     */
    @Test
    void aGuestCannotPutANonFinalStatusOnAKeepAliveConnection() throws Exception {
        for (int code : new int[] {100, 101, 103, 199, 600, 999}) {
            List<HttpTester.Response> responses =
                    server().sendPipelined(
                                    2,
                                    "GET /status/"
                                            + code
                                            + " HTTP/1.1\r\nHost: localhost\r\n\r\n"
                                            + "GET /echo/next HTTP/1.1\r\nHost: localhost\r\n"
                                            + "Connection: close\r\n\r\n");

            HttpTester.Response refused = responses.get(0);
            assertEquals(200, refused.getStatus(), code + ": " + refused);
            assertEquals("1", refused.get("x-set-status"), code + ": the call returns invalid");
            assertEquals("body", refused.getContent());
            HttpTester.Response next = responses.get(1);
            assertEquals(200, next.getStatus(), code + ": " + next);
            assertEquals("/echo/next", next.get("x-path"), code + ": its own answer");
        }
        HttpTester.Response created = server().get("/status/201");
        assertEquals(201, created.getStatus());
        assertEquals("0", created.get("x-set-status"));
    }

    @Test
    void http2RequestsGiveTheGuestAHostHeader() throws Exception {
        assumeTrue(speaksH2c(), "this server does not speak h2c");
        int port = server().port();
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpRequest get =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo/h2")).build();
        // the first request upgrades the connection to h2c; the second is plain HTTP/2
        h2.send(get, HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> response = h2.send(get, HttpResponse.BodyHandlers.ofString());

        assertEquals(HttpClient.Version.HTTP_2, response.version());
        assertEquals("127.0.0.1:" + port, response.headers().firstValue("x-host").orElse(null));
    }

    /** HTTP/1.0 needs no Host field; guests get the address the request came in on instead. */
    @Test
    void http10RequestsWithoutHostGiveTheGuestTheServersAddressAsHost() throws Exception {
        HttpTester.Response response = server().send("GET /echo/h10 HTTP/1.0\r\n\r\n");

        assertEquals(200, response.getStatus(), response.toString());
        assertEquals("127.0.0.1:" + server().port(), response.get("x-host"));
    }

    @Test
    void passesNonRoutedPathsToTheApplicationUntouched() throws Exception {
        HttpTester.Response response = server().get("/other/page?x=1&y=%20");

        assertEquals(200, response.getStatus());
        assertEquals("reached", response.get(PassThrough.HEADER));
        assertEquals(PassThrough.answer("GET", "/other/page?x=1&y=%20"), response.getContent());
        assertEquals(PassThrough.answer("GET", "/"), server().get("/").getContent());
    }

    @Test
    void passesPathsThatOnlyShareARoutesPrefixToTheApplication() throws Exception {
        HttpTester.Response more = server().get("/hello/more?x=1");
        assertEquals("reached", more.get(PassThrough.HEADER));
        assertEquals(PassThrough.answer("GET", "/hello/more?x=1"), more.getContent());
        assertEquals("reached", server().get("/echoes").get(PassThrough.HEADER));
    }

    /**
     * Routes match the decoded, normalized path (as servlet mappings do), so an encoded or
     * dot-segment spelling cannot slip past a route; the guest still sees the path as sent.
     */
    @Test
    void routesOnTheDecodedPathAndShowsTheGuestThePathAsSent() throws Exception {
        HttpTester.Response encoded = server().get("/ech%6F/x?y=1");
        HttpTester.Response dotted = server().get("/other/../echo/z");

        assertEquals("/ech%6F/x?y=1", encoded.get("x-path"), encoded.toString());
        assertEquals("GET", dotted.get("x-method"), dotted.toString());
    }

    @Test
    void returns500WithTheTrapMessageWhenTheGuestDividesByZero() throws Exception {
        HttpTester.Response response = server().get("/trap");

        assertEquals(500, response.getStatus());
        assertTrue(
                response.getContent()
                        .contains("guest trapped: integer divide by zero in trap_div.wat"),
                response.getContent());
    }

    @Test
    void returns500WithThePanicMessageWhenTheGuestPanics() throws Exception {
        HttpTester.Response response = server().get("/panic");

        assertEquals(500, response.getStatus());
        assertTrue(
                response.getContent().contains("boom: this guest panics on purpose"),
                response.getContent());
    }

    @Test
    void returns504WhenTheGuestRunsPastItsDeadlineThenServesTheNextRequest() throws Exception {
        HttpTester.Response response = server().get("/slow");

        assertEquals(504, response.getStatus());
        assertTrue(
                response.getContent()
                        .contains("guest exceeded its deadline of 300 ms in loop_forever.wat"),
                response.getContent());
        assertEquals("Hello, world!", server().get("/hello").getContent());
    }

    @Test
    void returns503WhenGuestMemoryIsAtMaxTotalMemoryThenServesTheNextRequest() throws Exception {
        KitServer server = server();
        // each grows to 21 pages and holds them until its deadline: two do not fit in 32
        ExecutorService clients = Executors.newFixedThreadPool(2);
        CompletableFuture<HttpTester.Response> a;
        CompletableFuture<HttpTester.Response> b;
        try {
            a = hog(server, clients);
            b = hog(server, clients);
            a.join();
            b.join();
        } finally {
            clients.shutdownNow();
        }
        List<Integer> statuses = new ArrayList<>(List.of(a.get().getStatus(), b.get().getStatus()));
        Collections.sort(statuses);
        assertEquals(List.of(503, 504), statuses);
        HttpTester.Response refused = a.get().getStatus() == 503 ? a.get() : b.get();
        assertTrue(
                refused.getContent()
                        .contains(
                                "guest failed after memory.grow by 20 pages was refused: guests"
                                        + " hold "),
                refused.getContent());
        assertTrue(
                refused.getContent().contains("of maxTotalMemory (2 MiB) in grow_hold.wat"),
                refused.getContent());
    }

    private static CompletableFuture<HttpTester.Response> hog(
            KitServer server, ExecutorService clients) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return server.get("/memory-hog");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                clients);
    }

    @Test
    void memoryGrowthPastMaxMemoryPagesFailsInsideTheGuest() throws Exception {
        assertEquals("grow=-1", server().get("/grow").getContent());
    }

    @Test
    void returns500WhenTheGuestPassesAPointerOutsideItsMemory() throws Exception {
        HttpTester.Response response = server().get("/bad-pointer");

        assertEquals(500, response.getStatus());
        assertTrue(response.getContent().contains("outside guest memory"), response.getContent());
        assertTrue(
                response.getContent().contains("hostcall_resp_set_body: body at 0xfffff000"),
                response.getContent());
    }

    @Test
    void returns413WhenTheContentLengthExceedsTheLimit() throws Exception {
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
    void refusesAnOversizedContentLengthBeforeTheBodyIsSent() throws Exception {
        HttpTester.Response response =
                server().send(
                                "POST /echo/x HTTP/1.1\r\nHost: localhost\r\n"
                                        + "Content-Length: 1000000\r\n\r\n");

        assertEquals(413, response.getStatus());
    }

    @Test
    void returns413WhenAChunkedBodyExceedsTheLimit() throws Exception {
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
    void aLimitOfZeroRefusesAnyChunkedBodyAndServesRequestsWithout() throws Exception {
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
    void answersHealthAsJsonWithEveryCheckUp() throws Exception {
        HttpTester.Response health = server().get("/__health");
        assertEquals(200, health.getStatus(), health.toString());
        assertEquals("application/json", health.get("content-type"));
        String body = health.getContent();
        assertTrue(body.startsWith("{\"status\":\"UP\",\"live\":true,\"ready\":true,"), body);
        for (String check : List.of("engine", "deployments", "kv", "watchdog", "expiry")) {
            assertTrue(body.contains("\"" + check + "\":{\"status\":\"UP\""), check + ": " + body);
        }
        HttpTester.Response post = server().send(KitServer.request("POST", "/__health"));
        assertEquals(405, post.getStatus(), post.toString());
    }

    @Test
    void healthPathMovesTheHealthCheckAndHealthEnabledTurnsItOff() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("routes", "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kvDirectory.resolve("health").toString());
        s.put("poolSize", "1");
        s.put("health.path", "/ops/health");
        try (KitServer server = start(s, "")) {
            HttpTester.Response moved = server.get("/ops/health");
            assertEquals(200, moved.getStatus(), moved.toString());
            assertTrue(moved.getContent().contains("\"ready\":true"), moved.getContent());
            assertEquals(
                    "reached",
                    server.get("/__health").get(PassThrough.HEADER),
                    "passed on to the application");
        }
        s.put("health.enabled", "false");
        s.put("kv.directory", kvDirectory.resolve("health-off").toString());
        try (KitServer server = start(s, "")) {
            HttpTester.Response off = server.get("/ops/health");
            assertEquals("reached", off.get(PassThrough.HEADER), off.toString());
        }
    }

    /**
     * Issue 18 item 7 over HTTP (moved from jetty-module's IsolationScenariosTest): a deployment at
     * its admission limit answers 503 with {@code Retry-After} while another one answers.
     */
    @Test
    void aFullDeploymentAnswers503WithRetryAfterAndAnotherStillAnswers() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(
                "routes",
                "/spin -> wat/fixtures/loop_forever.wat; deadline=2s; maxConcurrent=1;"
                        + " maxQueued=0\n"
                        + "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kvDirectory.resolve("isolation").toString());
        s.put("poolSize", "1");
        s.put("queueTimeout", "20s");
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try (KitServer server = start(s, "")) {
            CompletableFuture<HttpTester.Response> one = spin(server, clients);
            CompletableFuture<HttpTester.Response> two = spin(server, clients);
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

    private static CompletableFuture<HttpTester.Response> spin(
            KitServer server, ExecutorService clients) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return server.get("/spin");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                clients);
    }

    /**
     * Issue 18 item 5 over HTTP: a request whose {@code CDN-Loop} says it passed through more
     * Vivarium guests than {@code outbound.maxHops} (3) is answered 508 before its guest runs; one
     * at the limit runs.
     */
    @Test
    void aRequestPastTheHopLimitIsAnswered508() throws Exception {
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

    @Test
    void acceptsABodyOfExactlyTheLimit() throws Exception {
        HttpTester.Request request = KitServer.request("POST", "/echo/upload");
        request.setContent("z".repeat(MAX_BODY));

        HttpTester.Response response = server().send(request);

        assertEquals(200, response.getStatus());
        assertEquals(MAX_BODY, response.getContent().length());
    }

    @Test
    void passesABodyThatArrivesSlowlyInChunksToTheGuest() throws Exception {
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
    void servesConcurrentRequests() throws Exception {
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

    @Test
    void routesByHostAndLetsOtherHostsThrough() throws Exception {
        assertEquals("Hello, world!", requestFor("shop.example.com").getContent());
        assertEquals("Hello, world!", requestFor("a.b.example.com:8080").getContent());
        assertEquals("reached", requestFor("shop.example.org").get(PassThrough.HEADER));
        assertEquals("reached", requestFor("example.com").get(PassThrough.HEADER));
        // a host route takes every path of its hosts
        HttpTester.Request any = KitServer.request("GET", "/anything");
        any.setHeader("Host", "b.a.guests.test:8080");
        assertEquals("Hello, world!", server().send(any).getContent());
        any.setHeader("Host", "guests.test");
        assertEquals(PassThrough.answer("GET", "/anything"), server().send(any).getContent());
    }

    private HttpTester.Response requestFor(String host) throws Exception {
        HttpTester.Request request = KitServer.request("GET", "/site/index.html");
        request.setHeader("Host", host);
        return server().send(request);
    }

    @Test
    void givesEveryRequestAFreshInstance() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals("global=1 memory=1", server().get("/isolation").getContent());
        }
    }

    @Test
    void passesMethodPathHeadersBodyAndClientAddressToTheGuest() throws Exception {
        String raw =
                "PUT /echo/a%2Bb?q=1&r=%20s HTTP/1.1\r\nHost: vivarium.test:8080\r\n"
                        + "X-Echo: one\r\nX-Echo: two\r\nContent-Length: 4\r\n"
                        + "Connection: close\r\n\r\nping";

        HttpTester.Response response = server().send(raw);

        assertEquals(200, response.getStatus(), response.getContent());
        assertEquals("PUT", response.get("x-method"));
        assertEquals("/echo/a%2Bb?q=1&r=%20s", response.get("x-path"));
        assertEquals(List.of("one", "two"), response.getValuesList("x-echo"));
        assertEquals("127.0.0.1", response.get("x-client-ip"));
        assertEquals("vivarium.test:8080", response.get("x-host"));
        assertEquals("ping", response.getContent());
    }

    /** The C-guest rules too: each string NUL-terminated, a non-zero pointer. */
    @Test
    void aGuestReadsTheMethodAndTheTargetAsSent() throws Exception {
        HttpTester.Request put = KitServer.request("PUT", "/echo-path/a%20b?x=1&y");
        put.setContent("hi");

        HttpTester.Response response = server().send(put);

        assertEquals(200, response.getStatus(), response.getContent());
        assertEquals("PUT /echo-path/a%20b?x=1&y", response.getContent());
    }

    @Test
    void theClientAddressReachesTheGuestAsFastlyClientIp() throws Exception {
        assertEquals("127.0.0.1", server().get("/ip").getContent());
    }

    /**
     * Header bytes cross the guest boundary unchanged both ways, whatever their encoding: UTF-8 "é"
     * and a lone Latin-1 "é" reach the guest as sent and reach the client as the guest set them.
     */
    @Test
    void headerBytesReachTheGuestAndTheClientUnchanged() throws Exception {
        byte[] octets = {'c', 'a', 'f', (byte) 0xc3, (byte) 0xa9, ' ', (byte) 0xe9};
        String onTheWire = new String(octets, StandardCharsets.ISO_8859_1);

        HttpTester.Response response =
                server().send(
                                "GET /octets HTTP/1.1\r\nHost: localhost\r\nX-Octets: "
                                        + onTheWire
                                        + "\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.getStatus(), response.toString());
        assertArrayEquals(octets, response.getContentBytes(), "what the guest got");
        // the client reads each header byte as one char, as it was sent
        assertEquals(onTheWire, response.get("x-octets"), "echoed by the guest");
        assertEquals(onTheWire, response.get("x-constant"), "set by the guest");
    }

    @Test
    void aRustGuestSeesAUtf8HeaderAsUtf8() throws Exception {
        assumeTrue(Files.exists(RUST_ECHO), "guests/dist/echo.wasm is not built");
        String utf8OnTheWire =
                new String("café".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

        HttpTester.Response response =
                server().send(
                                "GET /rust/echo HTTP/1.1\r\nHost: localhost\r\nX-Test: "
                                        + utf8OnTheWire
                                        + "\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.getStatus(), response.getContent());
        String echo = new String(response.getContentBytes(), StandardCharsets.UTF_8);
        assertTrue(echo.contains("\nx-test: café\n"), echo);
    }

    /**
     * Jetty passes these on in a query; the http crate's Uri refuses them, so the guest gets them
     * percent-encoded. Raw UTF-8 is sent only to servers that pass it on (see {@link
     * #passesRawUtf8InTheTarget}); the ASCII ones need Tomcat's {@code relaxedQueryChars}.
     */
    @Test
    void aRustGuestGetsAQueryWithBytesTheHttpCrateRefusesPercentEncoded() throws Exception {
        assumeTrue(Files.exists(RUST_ECHO), "guests/dist/echo.wasm is not built");
        assumeTrue(
                passesQuotesAndAngleBracketsInTheQuery(),
                "this server refuses \" < > in a request target itself, before any adapter");
        boolean utf8 = passesRawUtf8InTheTarget();
        String e = new String("é".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        HttpTester.Response response =
                server().send(
                                "GET /rust/echo?q=\"<b>\""
                                        + (utf8 ? "&u=" + e : "")
                                        + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.getStatus(), response.getContent());
        String echo = new String(response.getContentBytes(), StandardCharsets.UTF_8);
        assertTrue(
                echo.startsWith(
                        "GET /rust/echo?q=%22%3Cb%3E%22" + (utf8 ? "&u=%C3%A9" : "") + "\n"),
                echo);
    }

    @Test
    void returns500WithThePanicMessageWhenARustGuestPanics() throws Exception {
        assumeTrue(Files.exists(RUST_PANIC_WASM), "guests/dist/panic.wasm is not built");

        HttpTester.Response response = server().get("/rust/panic");

        assertEquals(500, response.getStatus());
        assertTrue(
                response.getContent().contains("boom: this guest panics on purpose"),
                response.getContent());
    }

    @Test
    void aRustGuestSeesTheMethodPathHeadersAndBody() throws Exception {
        assumeTrue(Files.exists(RUST_ECHO), "guests/dist/echo.wasm is not built");
        HttpTester.Request request = KitServer.request("POST", "/rust/echo?x=1&y=%20");
        request.setHeader("X-Test", "yes");
        request.setContent("hello body");

        HttpTester.Response response = server().send(request);

        assertEquals(200, response.getStatus(), response.getContent());
        String echo = response.getContent();
        assertTrue(echo.startsWith("POST /rust/echo?x=1&y=%20\n"), echo);
        assertTrue(echo.contains("\nx-test: yes\n"), echo);
        assertTrue(echo.contains("\nfastly-client-ip: 127.0.0.1\n"), echo);
        assertTrue(echo.endsWith("\n\nhello body"), echo);
    }

    /**
     * Guests Terrarium users bring, on a server of their own: a C guest built with wasi-libc and
     * plain flags ({@code hello_libc}: printf, exit, string functions), and a WAT guest without an
     * allocator (the engine-level cases are in core's {@code LibcGuestsTest} and {@code
     * EngineFaultsTest}).
     */
    private KitServer broughtGuests() throws Exception {
        if (broughtGuests == null) {
            Map<String, String> s = new LinkedHashMap<>();
            s.put(
                    "routes",
                    "/c/* -> dist/hello_libc.wasm\n/noinit -> wat/fixtures/no_init_mm_echo.wat");
            s.put("guestDirectory", TestGuests.root().toString());
            s.put("kv.directory", kvDirectory.resolve("brought").toString());
            s.put("poolSize", "1");
            broughtGuests = start(s, "");
        }
        return broughtGuests;
    }

    @Test
    void aCGuestWithLibcAnswersAndItsExitStatusCounts() throws Exception {
        HttpTester.Response ok = broughtGuests().get("/c/hi");
        assertEquals(200, ok.getStatus(), ok.toString());
        assertEquals("Hello from libc! path=/c/hi len=5 upper=/C/HI", ok.getContent());

        HttpTester.Response exit0 = broughtGuests().get("/c/exit0");
        assertEquals(200, exit0.getStatus(), exit0.toString());
        assertEquals("exiting with 0", exit0.getContent());

        HttpTester.Response exit3 = broughtGuests().get("/c/exit3");
        assertEquals(500, exit3.getStatus(), exit3.toString());
    }

    @Test
    void aWatGuestWithoutAnAllocatorReadsHeadersAndTheBody() throws Exception {
        HttpTester.Request request = KitServer.request("POST", "/noinit");
        request.add("x-echo", "one");
        request.setContent("the body");

        HttpTester.Response response = broughtGuests().send(request);

        assertEquals(200, response.getStatus(), response.toString());
        assertEquals("the body", response.getContent());
        assertEquals(List.of("one"), response.getValuesList("x-echo"));
    }

    @Test
    void aMissingGuestFailsTheStartWithAMessageNamingTheRoute() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("guestDirectory", TestGuests.watFixtures().toString());
        s.put("kv.directory", kvDirectory.resolve("missing").toString());
        s.put("routes", "/x -> missing.wasm");

        String all = messages(assertThrows(Exception.class, () -> start(s, "").close()));

        assertTrue(
                all.contains("route '/x -> missing.wasm': missing.wasm: guest file not found at "),
                all);
    }

    @Test
    void aBadSettingFailsTheStartWithAMessageNamingIt() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("routes", "/x -> x.wasm");
        s.put("deadline", "forever");

        String all = messages(assertThrows(Exception.class, () -> start(s, "").close()));

        assertTrue(all.contains("invalid value 'forever' for Vivarium setting 'deadline'"), all);
    }

    /** Every message among an exception's causes and suppressed exceptions. */
    protected static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
            for (Throwable s : c.getSuppressed()) {
                sb.append(messages(s));
            }
        }
        return sb.toString();
    }

    // the admin API, at the root and below a context path

    private KitServer startWithAdmin(Path kv, String context) throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("routes", "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kv.toString());
        s.put("admin.token", TOKEN);
        s.put("poolSize", "1");
        s.put("maxRequestBodySize", "16KB");
        return start(s, context);
    }

    private static HttpTester.Request admin(String method, String uri, String token) {
        HttpTester.Request r = KitServer.request(method, uri);
        if (token != null) {
            r.setHeader("Authorization", "Bearer " + token);
        }
        return r;
    }

    /**
     * The module travels as an HTTP body, the uploaded guest answers on its route, and after
     * removal the request reaches the application again.
     */
    @ParameterizedTest(name = "context path \"{0}\"")
    @ValueSource(strings = {"", "/shop"})
    void uploadServeAndRemoveADeployment(String context, @TempDir Path kv) throws Exception {
        byte[] module =
                Files.readAllBytes(TestGuests.root().resolve("wat/fixtures/echo_request.wat"));
        try (KitServer server = startWithAdmin(kv, context)) {
            HttpTester.Response before = server.get(context + "/up/x");
            assertEquals("reached", before.get(PassThrough.HEADER), "the application's");

            HttpTester.Request put =
                    admin("PUT", context + "/_vivarium/deployments/up?route=/up/*&ttl=5m", TOKEN);
            put.setHeader("Content-Type", "application/wasm");
            put.setContent(ByteBuffer.wrap(module));
            HttpTester.Response created = server.send(put);
            assertEquals(201, created.getStatus(), created.getContent());
            assertTrue(created.get("content-type").startsWith("application/json"));
            assertTrue(created.getContent().contains("\"id\":\"up\""), created.getContent());

            HttpTester.Response guest = server.get(context + "/up/x?q=1");
            assertEquals(200, guest.getStatus(), guest.getContent());
            // the guest sees the path as the client sent it, context path included
            assertEquals(context + "/up/x?q=1", guest.get("x-path"), "the uploaded guest answered");
            assertNull(guest.get(PassThrough.HEADER));

            HttpTester.Response list =
                    server.send(admin("GET", context + "/_vivarium/deployments", TOKEN));
            assertEquals(200, list.getStatus());
            assertTrue(list.getContent().contains("\"id\":\"up\""), list.getContent());
            assertTrue(list.getContent().contains("\"id\":\"hello_raw\""), list.getContent());

            HttpTester.Response refused =
                    server.send(
                            admin(
                                    "DELETE",
                                    context + "/_vivarium/deployments/up",
                                    "not-the-token-at-all"));
            assertEquals(401, refused.getStatus());

            HttpTester.Response deleted =
                    server.send(admin("DELETE", context + "/_vivarium/deployments/up", TOKEN));
            assertEquals(204, deleted.getStatus(), deleted.getContent());
            HttpTester.Response after = server.get(context + "/up/x");
            assertEquals("reached", after.get(PassThrough.HEADER), "the application's again");
            assertEquals("Hello, world!", server.get(context + "/hello").getContent());
        }
    }

    @ParameterizedTest(name = "context path \"{0}\"")
    @ValueSource(strings = {"", "/shop"})
    void anUploadOverTheBodyLimitGetsAJson413(String context, @TempDir Path kv) throws Exception {
        try (KitServer server = startWithAdmin(kv, context)) {
            String put = "PUT " + context + "/_vivarium/deployments/big?route=/big HTTP/1.1\r\n";
            String auth = "Authorization: Bearer " + TOKEN + "\r\n";
            // refused on its Content-Length, and while reading a chunked body
            for (String framing :
                    List.of(
                            "Content-Length: 20000\r\n\r\n" + "x".repeat(20000),
                            "Transfer-Encoding: chunked\r\n\r\n4e20\r\n"
                                    + "x".repeat(20000)
                                    + "\r\n0\r\n\r\n")) {
                HttpTester.Response r =
                        server.send(
                                put
                                        + "Host: localhost\r\n"
                                        + auth
                                        + "Connection: close\r\n"
                                        + framing);
                assertEquals(413, r.getStatus(), r.getContent());
                assertTrue(r.get("content-type").startsWith("application/json"), r.toString());
                assertEquals(
                        "{\"error\":\"the upload is larger than maxRequestBodySize (16384 bytes)\"}",
                        r.getContent());
            }
        }
    }

    /**
     * Below a context path, routes are relative to it and requests outside it are not the
     * adapter's. A context path spelled with escapes reaches the admin API only as the server
     * reports it: stripped when the server gives it as sent, else the admin API refuses the whole
     * target with a message saying to write the path without escapes.
     */
    @Test
    void belowAContextPathRoutesAreRelativeToItAndAnEscapedOneIsNeverMisread(@TempDir Path kv)
            throws Exception {
        try (KitServer server = startWithAdmin(kv, "/shop")) {
            assertEquals("Hello, world!", server.get("/shop/hello").getContent());
            HttpTester.Response outside = server.get("/hello");
            assertNull(outside.get(PassThrough.HEADER), "not this context's: " + outside);
            assertEquals(404, outside.getStatus(), outside.toString());
            HttpTester.Response escaped =
                    server.send(admin("GET", "/sh%6Fp/_vivarium/deployments", TOKEN));
            assertNull(escaped.get(PassThrough.HEADER), escaped.toString());
            if (escaped.getStatus() == 200) {
                // the server gave the context path as sent (Tomcat): the admin API answers
                assertTrue(escaped.getContent().contains("\"deployments\""), escaped.toString());
            } else if (escaped.getContent().contains("\"error\"")) {
                // the admin API saw the whole target and names the cause
                assertEquals(404, escaped.getStatus(), escaped.toString());
                assertTrue(
                        escaped.getContent()
                                .contains("write the admin path /_vivarium without escapes"),
                        escaped.getContent());
            } else {
                // the server itself refused it, or matched no context
                assertTrue(
                        escaped.getStatus() == 400 || escaped.getStatus() == 404,
                        escaped.toString());
            }
        }
    }
}
