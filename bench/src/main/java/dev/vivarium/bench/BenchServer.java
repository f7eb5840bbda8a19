package dev.vivarium.bench;

import dev.vivarium.jetty.VivariumHandler;
import dev.vivarium.servlet.VivariumFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The servers {@code bench/load.sh} drives, in one JVM on 127.0.0.1, so every variant is measured
 * in one run:
 *
 * <ul>
 *   <li>port P, servlets: {@code /plain} is a plain servlet answering "Hello, world!", {@code
 *       /hello} and {@code /hello-c} the same answer from the Rust and C hello guests through
 *       {@link VivariumFilter}, {@code /counter} the KV counter guest (a durable write per
 *       request);
 *   <li>port P+1, Jetty core: {@code /plain} is a plain core {@link Handler}, {@code /hello} and
 *       {@code /hello-c} the guests through {@link VivariumHandler} wrapping it.
 * </ul>
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.vivarium.bench.BenchServer P}. With the
 * environment variable {@code VIVARIUM_BENCH_ADMIN_TOKEN} set, the filter's admin API is on (that
 * token, a temporary {@code deployments.directory}), for {@code bench/swap.sh}; {@code
 * VIVARIUM_BENCH_MAX_QUEUED} sets {@code maxQueued} on both servers ({@code bench/load.sh pinned});
 * {@code /_allocated} on port P answers the bytes the JVM's threads allocated so far.
 */
public final class BenchServer {
    private BenchServer() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8089;
        Server server = new Server();
        ServerConnector servlets = new ServerConnector(server);
        servlets.setHost("127.0.0.1");
        servlets.setPort(port);
        server.addConnector(servlets);

        ServletContextHandler context = new ServletContextHandler("/");
        FilterHolder filter = new FilterHolder(VivariumFilter.class);
        filter.setInitParameter("guestDirectory", Guests.dist().toString());
        filter.setInitParameter("routes", ROUTES + ", /counter -> kv_counter.wasm");
        filter.setInitParameter(
                "kv.directory", Files.createTempDirectory("vivarium-bench-kv").toString());
        String adminToken = System.getenv("VIVARIUM_BENCH_ADMIN_TOKEN");
        if (adminToken != null && !adminToken.isEmpty()) {
            // bench/swap.sh uploads through the admin API
            filter.setInitParameter("admin.token", adminToken);
            filter.setInitParameter(
                    "deployments.directory",
                    Files.createTempDirectory("vivarium-bench-deployments").toString());
        }
        String durability = System.getenv("VIVARIUM_BENCH_KV_DURABILITY");
        if (durability != null && !durability.isEmpty()) {
            // bench/kv-load.sh: the counter with kv.durability=interval
            filter.setInitParameter("kv.durability", durability);
        }
        String queueTimeout = System.getenv("VIVARIUM_BENCH_QUEUE_TIMEOUT");
        if (queueTimeout != null && !queueTimeout.isEmpty()) {
            // bench/swap.sh: the admission queue's wait is not what a swap is measured by
            filter.setInitParameter("queueTimeout", queueTimeout);
        }
        String maxQueued = System.getenv("VIVARIUM_BENCH_MAX_QUEUED");
        if (maxQueued != null && !maxQueued.isEmpty()) {
            // bench/load.sh pinned: one core gives maxConcurrent=1, and 64 connections must
            // queue, not be shed with 503
            filter.setInitParameter("maxQueued", maxQueued);
        }
        context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(PlainServlet.class, "/plain");
        context.addServlet(AllocatedServlet.class, "/_allocated");
        server.setHandler(context);
        server.start();

        Server core = new Server();
        ServerConnector coreConnector = new ServerConnector(core);
        coreConnector.setHost("127.0.0.1");
        coreConnector.setPort(port + 1);
        core.addConnector(coreConnector);
        VivariumHandler vivarium = new VivariumHandler(new PlainHandler());
        vivarium.setGuestDirectory(Guests.dist());
        vivarium.setRoutes(ROUTES);
        if (maxQueued != null && !maxQueued.isEmpty()) {
            vivarium.setSetting("maxQueued", maxQueued);
        }
        core.setHandler(vivarium);
        core.start();
        System.out.println(
                "bench servers ready: servlets on 127.0.0.1:"
                        + servlets.getLocalPort()
                        + ", core handlers on 127.0.0.1:"
                        + coreConnector.getLocalPort());
        server.join();
    }

    private static final String ROUTES = "/hello -> hello.wasm, /hello-c -> hello_c.wasm";

    /** The core-handler baseline: the same body the hello guest answers. */
    static final class PlainHandler extends Handler.Abstract.NonBlocking {
        private static final ByteBuffer BODY =
                ByteBuffer.wrap("Hello, world!".getBytes(StandardCharsets.UTF_8))
                        .asReadOnlyBuffer();

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, BODY.remaining());
            response.write(true, BODY.slice(), callback);
            return true;
        }
    }

    /**
     * The bytes every live thread of this JVM allocated so far ({@code bench/load.sh pinned} reads
     * it around each measured run for the bytes allocated per request, adapters included).
     */
    public static final class AllocatedServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean)
                            java.lang.management.ManagementFactory.getThreadMXBean();
            long sum = 0;
            for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
                sum += Math.max(b, 0);
            }
            resp.setContentType("text/plain");
            resp.getWriter().print(sum);
        }
    }

    /** The baseline: the same body the hello guest answers. */
    public static final class PlainServlet extends HttpServlet {
        private static final byte[] BODY = "Hello, world!".getBytes(StandardCharsets.UTF_8);

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.setContentLength(BODY.length);
            resp.getOutputStream().write(BODY);
        }
    }
}
