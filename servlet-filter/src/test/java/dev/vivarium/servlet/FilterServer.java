package dev.vivarium.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** A real Jetty on 127.0.0.1 with the filter in front of a plain servlet, for tests. */
final class FilterServer implements AutoCloseable {
    final Server server = new Server();
    final ServletContextHandler context = new ServletContextHandler("/");
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ServerConnector connector;

    FilterServer(Map<String, String> initParams) {
        this(initParams, EnumSet.of(DispatcherType.REQUEST));
    }

    /** With the filter mapped for {@code dispatches}; {@code /dispatch/*} includes or forwards. */
    FilterServer(Map<String, String> initParams, EnumSet<DispatcherType> dispatches) {
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        FilterHolder filter = new FilterHolder(VivariumFilter.class);
        filter.setName("vivarium");
        filter.setInitParameters(initParams);
        context.addFilter(filter, "/*", dispatches);
        context.addServlet(DispatchingServlet.class, "/dispatch/*");
        context.addServlet(PlainServlet.class, "/*");
        server.setHandler(context);
    }

    FilterServer start() throws Exception {
        server.start();
        return this;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + path);
    }

    HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(
                b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends a raw HTTP/1.1 GET with any Host header; returns the whole response text. */
    String rawGet(String path, String host) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", connector.getLocalPort())) {
            socket.setSoTimeout(10_000);
            String req =
                    "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream()
                    .write(req.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(
                    socket.getInputStream().readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /**
     * {@code /dispatch/include?to=/x} includes {@code /x} between two lines of its own; {@code
     * /dispatch/forward?to=/x} forwards to it.
     */
    public static final class DispatchingServlet extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp)
                throws IOException, jakarta.servlet.ServletException {
            var target = req.getRequestDispatcher(req.getParameter("to"));
            if (req.getPathInfo().equals("/forward")) {
                target.forward(req, resp);
                return;
            }
            resp.setContentType("text/plain");
            resp.getWriter().println("before");
            target.include(req, resp);
            resp.getWriter().println();
            resp.getWriter().print("after");
        }
    }

    /** The site's own content, which unrouted requests must reach untouched. */
    public static final class PlainServlet extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp)
                throws IOException {
            resp.setContentType("text/plain");
            resp.setHeader("x-served-by", "servlet");
            resp.getWriter().print("servlet " + req.getMethod() + " " + req.getRequestURI());
        }
    }
}
