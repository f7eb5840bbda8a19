package dev.vivarium.compat;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vivarium.servlet.VivariumFilter;
import jakarta.servlet.DispatcherType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Jetty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The servlet filter on Jetty 12.0's server, with only Jetty 12.0 jars on the classpath (as in a
 * Spring Boot 3.5 app), and a guest calling out to an upstream on 127.0.0.1. Core's outbound client
 * is Jetty 12.1's, shaded into core's jar: unshaded, the first outbound call failed with {@code
 * AbstractMethodError: GuardedResolver does not define resolve(String, int, Promise)}, because
 * 12.0's {@code SocketAddressResolver} is not 12.1's.
 */
@Timeout(120)
class OutboundOnJetty120IT {
    private HttpServer upstream;
    private Server server;
    private ServerConnector connector;
    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start(@TempDir Path kv) throws Exception {
        // the upstream is the JDK's server: nothing from Jetty on that side
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext(
                "/hello",
                exchange -> {
                    byte[] body = "hello from upstream".getBytes(UTF_8);
                    exchange.getResponseHeaders().add("content-type", "text/plain");
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                });
        upstream.start();

        server = new Server();
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        FilterHolder filter = new FilterHolder(VivariumFilter.class);
        filter.setName("vivarium");
        filter.setInitParameters(
                Map.of(
                        "guestDirectory",
                        Path.of(System.getProperty("vivarium.guests.dir"), "dist").toString(),
                        "kv.directory",
                        kv.toString(),
                        "routes",
                        "/fetch -> fetch.wasm; outbound=" + upstreamBase()));
        context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
        server.setHandler(context);
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    private String upstreamBase() {
        return "http://127.0.0.1:" + upstream.getAddress().getPort();
    }

    @Test
    void theHostRunsJetty120() {
        assertTrue(
                Jetty.VERSION.startsWith("12.0."),
                "this module pins every org.eclipse.jetty artifact to 12.0.x, found "
                        + Jetty.VERSION);
    }

    @Test
    void aGuestsOutboundCallSucceedsOnAJetty120Host() throws Exception {
        String url = URLEncoder.encode(upstreamBase() + "/hello", UTF_8);
        HttpResponse<String> response =
                client.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://127.0.0.1:"
                                                        + connector.getLocalPort()
                                                        + "/fetch?url="
                                                        + url))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("hello from upstream", response.body());
        assertEquals("200", response.headers().firstValue("x-upstream-status").orElse(null));
    }

    @Test
    void coreOnTheClasspathIsTheShadedJar() throws Exception {
        Class<?> shaded = Class.forName("dev.vivarium.shaded.jetty.client.HttpClient");
        String where = shaded.getProtectionDomain().getCodeSource().getLocation().getPath();
        assertTrue(
                where.endsWith(".jar") && where.contains("vivarium-core"),
                "the relocated client should come from vivarium-core's jar, not " + where);
    }
}
