package dev.vivarium.testkit.jdk;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpServer;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.testkit.AdapterScenarios;
import dev.vivarium.testkit.KitServer;
import dev.vivarium.testkit.PassThrough;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The kit through a fourth adapter that exists only here: {@link JdkHttpServerAdapter} on the JDK's
 * own HTTP server. Two scenarios do not apply, for what the server itself does before any adapter
 * sees a request: it speaks HTTP/1.1 only (no h2c), and it answers 400 to {@code " < >} in a
 * request target (its {@code java.net.URI} refuses them).
 */
class JdkHttpServerKitTest extends AdapterScenarios {
    @Override
    public boolean speaksH2c() {
        return false;
    }

    @Override
    public boolean passesQuotesAndAngleBracketsInTheQuery() {
        return false;
    }

    @Override
    public KitServer start(Map<String, String> settings, String contextPath) throws Exception {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Vivarium engine =
                Vivarium.builder(
                                VivariumOptions.parse(
                                        settings, tmp.resolve("guests"), tmp.resolve("kv")))
                        .start();
        // guests block their thread: one per request, as the other servers' pools do
        ExecutorService threads = Executors.newFixedThreadPool(16);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(threads);
        HttpContext context =
                server.createContext(
                        contextPath.isEmpty() ? "/" : contextPath,
                        exchange -> {
                            String query = exchange.getRequestURI().getRawQuery();
                            String target =
                                    exchange.getRequestURI().getRawPath()
                                            + (query == null ? "" : "?" + query);
                            byte[] body =
                                    PassThrough.answer(exchange.getRequestMethod(), target)
                                            .getBytes(StandardCharsets.UTF_8);
                            exchange.getResponseHeaders().set(PassThrough.HEADER, "reached");
                            exchange.getResponseHeaders()
                                    .set("Content-Type", "text/plain;charset=utf-8");
                            exchange.sendResponseHeaders(200, body.length);
                            try (OutputStream out = exchange.getResponseBody()) {
                                out.write(body);
                            }
                        });
        context.getFilters().add(new JdkHttpServerAdapter(engine));
        server.start();
        return KitServer.of(
                () -> server.getAddress().getPort(),
                () -> {
                    server.stop(0);
                    threads.shutdownNow();
                    engine.close();
                });
    }
}
