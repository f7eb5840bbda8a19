package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's HTTP-level scenarios, run through both adapters: {@link VivariumHandler} on a core
 * Jetty server and the servlet filter on an ee10 context, with the same settings (one server per
 * adapter, shared by the scenarios) and the same expectations.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdapterScenariosTest {
    private static final int MAX_BODY = 1024;
    private static final Path RUST_ECHO = TestGuests.dist().resolve("echo.wasm");
    private static final Path RUST_PANIC = TestGuests.dist().resolve("panic.wasm");

    @TempDir Path kvDirectory;

    private final Map<Adapter, TestServer> servers = new ConcurrentHashMap<>();

    static List<Adapter> adapters() {
        return List.of(Adapter.HANDLER, Adapter.FILTER, Adapter.TOMCAT_FILTER);
    }

    private Map<String, String> settings() {
        Map<String, String> s = new LinkedHashMap<>();
        List<String> routes =
                new ArrayList<>(
                        List.of(
                                "/hello -> wat/fixtures/hello_raw.wat",
                                "/trap -> wat/fixtures/trap_div.wat",
                                "/slow -> wat/fixtures/loop_forever.wat; deadline=300ms",
                                "/memory-hog -> wat/fixtures/grow_hold.wat; deadline=2s",
                                "/bad-pointer -> wat/fixtures/bad_pointer.wat",
                                "/isolation -> wat/fixtures/isolation.wat",
                                "/echo/* -> wat/fixtures/echo_request.wat",
                                "/server-header -> wat/fixtures/server_header.wat",
                                "/status/* -> wat/fixtures/set_status.wat",
                                "/octets -> wat/fixtures/header_octets.wat",
                                "*.example.com/site/* -> wat/fixtures/hello_raw.wat"));
        // Rust guests from guests/dist, when they have been built
        if (Files.exists(RUST_ECHO)) {
            routes.add("/rust/echo -> dist/echo.wasm");
        }
        if (Files.exists(RUST_PANIC)) {
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

    private TestServer server(Adapter adapter) throws Exception {
        TestServer server = servers.get(adapter);
        if (server == null) {
            server = adapter.start(settings());
            servers.put(adapter, server);
        }
        return server;
    }

    @AfterAll
    void stopServers() throws Exception {
        for (TestServer server : servers.values()) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void answersHelloWorldWithTheGuestsContentType(Adapter adapter) throws Exception {
        HttpTester.Response response = server(adapter).get("/hello");

        assertEquals(200, response.getStatus());
        assertEquals("Hello, world!", response.getContent());
        assertTrue(response.get("content-type").startsWith("text/plain"), response.toString());
        assertNull(response.get(TestApplication.HEADER), "the application must not be reached");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void guestHeadersReplaceTheContainersAndKeepEveryValue(Adapter adapter) throws Exception {
        HttpTester.Response response = server(adapter).get("/server-header");

        assertEquals(200, response.getStatus());
        assertEquals(List.of("guest"), response.getValuesList("server"), response.toString());
        assertEquals(List.of("a", "b"), response.getValuesList("x-multi"), response.toString());
    }

    /**
     * A 1xx would go out as an interim response, so the next pipelined request's response would
     * become this one's; 600 and above are not statuses. The guest's call is refused and the
     * response keeps its status.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void aGuestCannotPutANonFinalStatusOnAKeepAliveConnection(Adapter adapter) throws Exception {
        for (int code : new int[] {100, 101, 103, 199, 600, 999}) {
            List<HttpTester.Response> responses =
                    server(adapter)
                            .sendPipelined(
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
        HttpTester.Response created = server(adapter).get("/status/201");
        assertEquals(201, created.getStatus());
        assertEquals("0", created.get("x-set-status"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void http2RequestsGiveTheGuestAHostHeader(Adapter adapter) throws Exception {
        int port = server(adapter).port();
        java.net.http.HttpClient h2 =
                java.net.http.HttpClient.newBuilder()
                        .version(java.net.http.HttpClient.Version.HTTP_2)
                        .build();
        java.net.http.HttpRequest get =
                java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + port + "/echo/h2"))
                        .build();
        // the first request upgrades the connection to h2c; the second is plain HTTP/2
        h2.send(get, java.net.http.HttpResponse.BodyHandlers.ofString());
        var response = h2.send(get, java.net.http.HttpResponse.BodyHandlers.ofString());

        assertEquals(java.net.http.HttpClient.Version.HTTP_2, response.version());
        assertEquals("127.0.0.1:" + port, response.headers().firstValue("x-host").orElse(null));
    }

    /** HTTP/1.0 needs no Host field; guests get the address the request came in on instead. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void http10RequestsWithoutHostGiveTheGuestTheServersAddressAsHost(Adapter adapter)
            throws Exception {
        HttpTester.Response response = server(adapter).send("GET /echo/h10 HTTP/1.0\r\n\r\n");

        assertEquals(200, response.getStatus(), response.toString());
        assertEquals("127.0.0.1:" + server(adapter).port(), response.get("x-host"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void passesNonRoutedPathsToTheApplicationUntouched(Adapter adapter) throws Exception {
        HttpTester.Response response = server(adapter).get("/other/page?x=1&y=%20");

        assertEquals(200, response.getStatus());
        assertEquals("reached", response.get(TestApplication.HEADER));
        assertEquals(TestApplication.answer("GET", "/other/page?x=1&y=%20"), response.getContent());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void passesPathsThatOnlyShareARoutesPrefixToTheApplication(Adapter adapter) throws Exception {
        assertEquals("reached", server(adapter).get("/hello/more").get(TestApplication.HEADER));
        assertEquals("reached", server(adapter).get("/echoes").get(TestApplication.HEADER));
    }

    /**
     * Routes match the decoded, normalized path (as servlet mappings do), so an encoded or
     * dot-segment spelling cannot slip past a route; the guest still sees the path as sent.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void routesOnTheDecodedPathAndShowsTheGuestThePathAsSent(Adapter adapter) throws Exception {
        HttpTester.Response encoded = server(adapter).get("/ech%6F/x?y=1");
        HttpTester.Response dotted = server(adapter).get("/other/../echo/z");

        assertEquals("/ech%6F/x?y=1", encoded.get("x-path"), encoded.toString());
        assertEquals("GET", dotted.get("x-method"), dotted.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void returns500WithTheTrapMessageWhenTheGuestDividesByZero(Adapter adapter) throws Exception {
        HttpTester.Response response = server(adapter).get("/trap");

        assertEquals(500, response.getStatus());
        assertTrue(
                response.getContent()
                        .contains("guest trapped: integer divide by zero in trap_div.wat"),
                response.getContent());
        assertEquals(200, server(adapter).get("/hello").getStatus(), "the server keeps serving");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void returns504WhenTheGuestRunsPastItsDeadlineThenServesTheNextRequest(Adapter adapter)
            throws Exception {
        HttpTester.Response response = server(adapter).get("/slow");

        assertEquals(504, response.getStatus());
        assertTrue(
                response.getContent().contains("deadline of 300 ms in loop_forever.wat"),
                response.getContent());
        assertEquals("Hello, world!", server(adapter).get("/hello").getContent());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void returns503WhenGuestMemoryIsAtMaxTotalMemoryThenServesTheNextRequest(Adapter adapter)
            throws Exception {
        TestServer server = server(adapter);
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
        assertEquals("Hello, world!", server.get("/hello").getContent());
    }

    private static CompletableFuture<HttpTester.Response> hog(
            TestServer server, ExecutorService clients) {
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void returns500WhenTheGuestPassesAPointerOutsideItsMemory(Adapter adapter) throws Exception {
        HttpTester.Response response = server(adapter).get("/bad-pointer");

        assertEquals(500, response.getStatus());
        assertTrue(response.getContent().contains("outside guest memory"), response.getContent());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void returns413WhenTheContentLengthExceedsTheLimit(Adapter adapter) throws Exception {
        HttpTester.Request request = TestServer.request("POST", "/echo/upload");
        request.setContent("x".repeat(MAX_BODY + 1));

        HttpTester.Response response = server(adapter).send(request);

        assertEquals(413, response.getStatus());
        assertTrue(response.getContent().contains("maxRequestBodySize"), response.getContent());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void returns413WhenAChunkedBodyExceedsTheLimit(Adapter adapter) throws Exception {
        String chunk = "y".repeat(600);
        String raw =
                "POST /echo/upload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n"
                        + "258\r\n" // 600
                        + chunk
                        + "\r\n258\r\n"
                        + chunk
                        + "\r\n0\r\n\r\n";

        HttpTester.Response response = server(adapter).send(raw);

        assertEquals(413, response.getStatus());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void aLimitOfZeroRefusesAnyChunkedBodyAndServesRequestsWithout(Adapter adapter)
            throws Exception {
        Map<String, String> settings = settings();
        settings.put("maxRequestBodySize", "0");
        try (TestServer server = adapter.start(settings)) {
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void acceptsABodyOfExactlyTheLimit(Adapter adapter) throws Exception {
        HttpTester.Request request = TestServer.request("POST", "/echo/upload");
        request.setContent("z".repeat(MAX_BODY));

        HttpTester.Response response = server(adapter).send(request);

        assertEquals(200, response.getStatus());
        assertEquals(MAX_BODY, response.getContent().length());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void passesABodyThatArrivesSlowlyInChunksToTheGuest(Adapter adapter) throws Exception {
        HttpTester.Response response =
                server(adapter)
                        .sendInParts(
                                200,
                                "POST /echo/slow HTTP/1.1\r\nHost: localhost\r\n"
                                        + "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        + "5\r\nfirst\r\n",
                                "6\r\nsecond\r\n",
                                "0\r\n\r\n");

        assertEquals(200, response.getStatus(), response.getContent());
        assertEquals("firstsecond", response.getContent());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void servesConcurrentRequests(Adapter adapter) throws Exception {
        TestServer server = server(adapter);
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void routesByHostAndLetsOtherHostsThrough(Adapter adapter) throws Exception {
        assertEquals("Hello, world!", requestFor(adapter, "shop.example.com").getContent());
        assertEquals("Hello, world!", requestFor(adapter, "a.b.example.com:8080").getContent());
        assertEquals(
                "reached", requestFor(adapter, "shop.example.org").get(TestApplication.HEADER));
        assertEquals("reached", requestFor(adapter, "example.com").get(TestApplication.HEADER));
    }

    private HttpTester.Response requestFor(Adapter adapter, String host) throws Exception {
        HttpTester.Request request = TestServer.request("GET", "/site/index.html");
        request.setHeader("Host", host);
        return server(adapter).send(request);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void givesEveryRequestAFreshInstance(Adapter adapter) throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals("global=1 memory=1", server(adapter).get("/isolation").getContent());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void passesMethodPathHeadersBodyAndClientAddressToTheGuest(Adapter adapter) throws Exception {
        String raw =
                "PUT /echo/a%2Bb?q=1&r=%20s HTTP/1.1\r\nHost: vivarium.test:8080\r\n"
                        + "X-Echo: one\r\nX-Echo: two\r\nContent-Length: 4\r\n"
                        + "Connection: close\r\n\r\nping";

        HttpTester.Response response = server(adapter).send(raw);

        assertEquals(200, response.getStatus(), response.getContent());
        assertEquals("PUT", response.get("x-method"));
        assertEquals("/echo/a%2Bb?q=1&r=%20s", response.get("x-path"));
        assertEquals(List.of("one", "two"), response.getValuesList("x-echo"));
        assertEquals("127.0.0.1", response.get("x-client-ip"));
        assertEquals("vivarium.test:8080", response.get("x-host"));
        assertEquals("ping", response.getContent());
    }

    /**
     * Header bytes cross the guest boundary unchanged both ways, whatever their encoding: UTF-8 "é"
     * and a lone Latin-1 "é" reach the guest as sent and reach the client as the guest set them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void headerBytesReachTheGuestAndTheClientUnchanged(Adapter adapter) throws Exception {
        byte[] octets = {'c', 'a', 'f', (byte) 0xc3, (byte) 0xa9, ' ', (byte) 0xe9};
        String onTheWire = new String(octets, StandardCharsets.ISO_8859_1);

        HttpTester.Response response =
                server(adapter)
                        .send(
                                "GET /octets HTTP/1.1\r\nHost: localhost\r\nX-Octets: "
                                        + onTheWire
                                        + "\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.getStatus(), response.toString());
        assertArrayEquals(octets, response.getContentBytes(), "what the guest got");
        // the client reads each header byte as one char, as it was sent
        assertEquals(onTheWire, response.get("x-octets"), "echoed by the guest");
        assertEquals(onTheWire, response.get("x-constant"), "set by the guest");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void aRustGuestSeesAUtf8HeaderAsUtf8(Adapter adapter) throws Exception {
        assumeTrue(Files.exists(RUST_ECHO), "guests/dist/echo.wasm is not built");
        String utf8OnTheWire =
                new String("café".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

        HttpTester.Response response =
                server(adapter)
                        .send(
                                "GET /rust/echo HTTP/1.1\r\nHost: localhost\r\nX-Test: "
                                        + utf8OnTheWire
                                        + "\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.getStatus(), response.getContent());
        String echo = new String(response.getContentBytes(), StandardCharsets.UTF_8);
        assertTrue(echo.contains("\nx-test: café\n"), echo);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void aRustGuestGetsAQueryWithBytesTheHttpCrateRefusesPercentEncoded(Adapter adapter)
            throws Exception {
        assumeTrue(Files.exists(RUST_ECHO), "guests/dist/echo.wasm is not built");
        // Jetty passes these on in a query; the http crate's Uri refuses them. Tomcat passes the
        // ASCII ones when its connector allows them (relaxedQueryChars) and refuses raw UTF-8 in a
        // request target itself (400, before any filter), so it is sent only to the others.
        boolean tomcat = adapter == Adapter.TOMCAT_FILTER;
        String utf8 = new String("é".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        HttpTester.Response response =
                server(adapter)
                        .send(
                                "GET /rust/echo?q=\"<b>\""
                                        + (tomcat ? "" : "&u=" + utf8)
                                        + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.getStatus(), response.getContent());
        String echo = new String(response.getContentBytes(), StandardCharsets.UTF_8);
        assertTrue(
                echo.startsWith(
                        "GET /rust/echo?q=%22%3Cb%3E%22" + (tomcat ? "" : "&u=%C3%A9") + "\n"),
                echo);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void returns500WithThePanicMessageWhenARustGuestPanics(Adapter adapter) throws Exception {
        assumeTrue(Files.exists(RUST_PANIC), "guests/dist/panic.wasm is not built");

        HttpTester.Response response = server(adapter).get("/rust/panic");

        assertEquals(500, response.getStatus());
        assertTrue(
                response.getContent().contains("boom: this guest panics on purpose"),
                response.getContent());
        assertEquals(200, server(adapter).get("/hello").getStatus(), "the server keeps serving");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void aRustGuestSeesTheMethodPathHeadersAndBody(Adapter adapter) throws Exception {
        assumeTrue(Files.exists(RUST_ECHO), "guests/dist/echo.wasm is not built");
        HttpTester.Request request = TestServer.request("POST", "/rust/echo?x=1&y=%20");
        request.setHeader("X-Test", "yes");
        request.setContent("hello body");

        HttpTester.Response response = server(adapter).send(request);

        assertEquals(200, response.getStatus(), response.getContent());
        String echo = response.getContent();
        assertTrue(echo.startsWith("POST /rust/echo?x=1&y=%20\n"), echo);
        assertTrue(echo.contains("\nx-test: yes\n"), echo);
        assertTrue(echo.contains("\nfastly-client-ip: 127.0.0.1\n"), echo);
        assertTrue(echo.endsWith("\n\nhello body"), echo);
    }
}
