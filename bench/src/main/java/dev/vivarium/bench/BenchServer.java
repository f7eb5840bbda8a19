package dev.vivarium.bench;

import dev.vivarium.servlet.VivariumFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The server {@code bench/load.sh} drives: one Jetty on 127.0.0.1 where {@code /plain} is a plain
 * servlet answering "Hello, world!" and {@code /hello} is the same answer from the hello guest
 * through the servlet filter, so both are measured on the same server in one run.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.vivarium.bench.BenchServer PORT}
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
        filter.setInitParameter("routes", "/hello -> hello.wasm, /hello-c -> hello_c.wasm");
        context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(PlainServlet.class, "/plain");
        server.setHandler(context);
        server.start();
        System.out.println("bench server ready on 127.0.0.1:" + servlets.getLocalPort());
        server.join();
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
