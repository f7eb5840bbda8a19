package dev.vivarium.testkit;

import static dev.vivarium.testkit.KitContext.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which requests a guest answers and which reach the application: path and host routes, prefixes,
 * decoded paths, context paths. Part of the kit every adapter runs through {@link
 * AdapterScenarios}.
 */
@Timeout(120)
public interface RoutingScenarios extends KitContext {
    @Test
    default void passesNonRoutedPathsToTheApplicationUntouched() throws Exception {
        HttpTester.Response response = server().get("/other/page?x=1&y=%20");

        assertEquals(200, response.getStatus());
        assertEquals("reached", response.get(PassThrough.HEADER));
        assertEquals(PassThrough.answer("GET", "/other/page?x=1&y=%20"), response.getContent());
        assertEquals(PassThrough.answer("GET", "/"), server().get("/").getContent());
    }

    @Test
    default void passesPathsThatOnlyShareARoutesPrefixToTheApplication() throws Exception {
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
    default void routesOnTheDecodedPathAndShowsTheGuestThePathAsSent() throws Exception {
        HttpTester.Response encoded = server().get("/ech%6F/x?y=1");
        HttpTester.Response dotted = server().get("/other/../echo/z");

        assertEquals("/ech%6F/x?y=1", encoded.get("x-path"), encoded.toString());
        assertEquals("GET", dotted.get("x-method"), dotted.toString());
    }

    @Test
    default void routesByHostAndLetsOtherHostsThrough() throws Exception {
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

    /**
     * Below a context path, routes are relative to it and requests outside it are not the
     * adapter's. A context path spelled with escapes reaches the admin API only as the server
     * reports it: stripped when the server gives it as sent, else the admin API refuses the whole
     * target with a message saying to write the path without escapes.
     */
    @Test
    default void belowAContextPathRoutesAreRelativeToItAndAnEscapedOneIsNeverMisread(
            @TempDir Path kv) throws Exception {
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
