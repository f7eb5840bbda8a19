package dev.vivarium.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a guest sees of the request and what reaches the client of its response, for WAT, Rust and C
 * guests. Part of the kit every adapter runs through {@link AdapterScenarios}.
 */
@Timeout(120)
public interface GuestViewScenarios extends KitContext {
    @Test
    default void answersHelloWorldWithTheGuestsContentType() throws Exception {
        HttpTester.Response response = server().get("/hello");

        assertEquals(200, response.getStatus());
        assertEquals("Hello, world!", response.getContent());
        assertTrue(response.get("content-type").startsWith("text/plain"), response.toString());
        assertEquals("13", response.get("content-length"), response.toString());
        assertNull(response.get(PassThrough.HEADER), "the application must not be reached");
    }

    @Test
    default void guestHeadersReplaceTheContainersAndKeepEveryValue() throws Exception {
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
    default void aGuestCannotPutANonFinalStatusOnAKeepAliveConnection() throws Exception {
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
    default void http2RequestsGiveTheGuestAHostHeader() throws Exception {
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

    /**
     * An HTTP/2 request body without a Content-Length (streamed) reaches the guest: only HTTP/1
     * requests with neither Content-Length nor Transfer-Encoding are known to have no body.
     */
    @Test
    default void http2BodiesOfUnknownLengthReachTheGuest() throws Exception {
        assumeTrue(speaksH2c(), "this server does not speak h2c");
        int port = server().port();
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        URI uri = URI.create("http://127.0.0.1:" + port + "/echo/h2-body");
        // the first request upgrades the connection to h2c (a request with a body would not)
        h2.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        byte[] body = "streamed, no length".repeat(20).getBytes(StandardCharsets.UTF_8);
        HttpRequest post =
                HttpRequest.newBuilder(uri)
                        .POST(
                                HttpRequest.BodyPublishers.ofInputStream(
                                        () -> new java.io.ByteArrayInputStream(body)))
                        .build();
        HttpResponse<String> response = h2.send(post, HttpResponse.BodyHandlers.ofString());

        assertEquals(HttpClient.Version.HTTP_2, response.version());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals(new String(body, StandardCharsets.UTF_8), response.body());
    }

    /** HTTP/1.0 needs no Host field; guests get the address the request came in on instead. */
    @Test
    default void http10RequestsWithoutHostGiveTheGuestTheServersAddressAsHost() throws Exception {
        HttpTester.Response response = server().send("GET /echo/h10 HTTP/1.0\r\n\r\n");

        assertEquals(200, response.getStatus(), response.toString());
        assertEquals("127.0.0.1:" + server().port(), response.get("x-host"));
    }

    @Test
    default void passesMethodPathHeadersBodyAndClientAddressToTheGuest() throws Exception {
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
    default void aGuestReadsTheMethodAndTheTargetAsSent() throws Exception {
        HttpTester.Request put = KitServer.request("PUT", "/echo-path/a%20b?x=1&y");
        put.setContent("hi");

        HttpTester.Response response = server().send(put);

        assertEquals(200, response.getStatus(), response.getContent());
        assertEquals("PUT /echo-path/a%20b?x=1&y", response.getContent());
    }

    @Test
    default void theClientAddressReachesTheGuestAsFastlyClientIp() throws Exception {
        assertEquals("127.0.0.1", server().get("/ip").getContent());
    }

    /**
     * Header bytes cross the guest boundary unchanged both ways, whatever their encoding: UTF-8 "é"
     * and a lone Latin-1 "é" reach the guest as sent and reach the client as the guest set them.
     */
    @Test
    default void headerBytesReachTheGuestAndTheClientUnchanged() throws Exception {
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
    default void aRustGuestSeesAUtf8HeaderAsUtf8() throws Exception {
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
    default void aRustGuestGetsAQueryWithBytesTheHttpCrateRefusesPercentEncoded() throws Exception {
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
    default void aRustGuestSeesTheMethodPathHeadersAndBody() throws Exception {
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

    @Test
    default void aCGuestWithLibcAnswersAndItsExitStatusCounts() throws Exception {
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
    default void aWatGuestWithoutAnAllocatorReadsHeadersAndTheBody() throws Exception {
        HttpTester.Request request = KitServer.request("POST", "/noinit");
        request.add("x-echo", "one");
        request.setContent("the body");

        HttpTester.Response response = broughtGuests().send(request);

        assertEquals(200, response.getStatus(), response.toString());
        assertEquals("the body", response.getContent());
        assertEquals(List.of("one"), response.getValuesList("x-echo"));
    }
}
