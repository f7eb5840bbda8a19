package dev.vivarium.servlet;

import dev.vivarium.testkit.KitServer;
import dev.vivarium.testkit.PassThrough;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.coyote.http2.Http2Protocol;
import org.apache.tomcat.util.descriptor.web.ErrorPage;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee10.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real servlet container on 127.0.0.1, speaking HTTP/1.1 and h2c, with the filter (named {@code
 * vivarium}, configured by init-params) in front of a plain servlet that answers as {@link
 * PassThrough} says, for tests: Jetty 12 (ee10) or Tomcat 10.1, so the filter is shown to work on
 * more than the container it was written next to.
 */
abstract class FilterServer implements AutoCloseable {
    /** The containers the filter is tested on. */
    enum Container {
        JETTY,
        TOMCAT
    }

    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Init-params, the dispatches the filter is mapped for, and a site error page for 500. */
    record Setup(
            Map<String, String> initParams,
            EnumSet<DispatcherType> dispatches,
            String errorPage500,
            Object meterRegistry,
            String contextPath) {
        Setup(Map<String, String> initParams) {
            this(initParams, EnumSet.of(DispatcherType.REQUEST), null, null, "");
        }

        Setup(
                Map<String, String> initParams,
                EnumSet<DispatcherType> dispatches,
                String errorPage500) {
            this(initParams, dispatches, errorPage500, null, "");
        }

        Setup(
                Map<String, String> initParams,
                EnumSet<DispatcherType> dispatches,
                String errorPage500,
                Object meterRegistry) {
            this(initParams, dispatches, errorPage500, meterRegistry, "");
        }

        /**
         * What a webapp does to give the filter its registry: a listener puts it in the context
         * before filters start.
         */
        ServletContextListener listener() {
            return new ServletContextListener() {
                @Override
                public void contextInitialized(ServletContextEvent e) {
                    if (meterRegistry != null) {
                        e.getServletContext()
                                .setAttribute(
                                        VivariumFilter.METER_REGISTRY_ATTRIBUTE, meterRegistry);
                    }
                }
            };
        }
    }

    static FilterServer create(Container container, Map<String, String> initParams) {
        return create(container, new Setup(initParams));
    }

    static FilterServer create(Container container, Setup setup) {
        return switch (container) {
            case JETTY -> new OnJetty(setup);
            case TOMCAT -> new OnTomcat(setup);
        };
    }

    /**
     * Starts the container.
     *
     * @throws Exception with the filter's failure among its causes when the webapp cannot start
     */
    abstract FilterServer start() throws Exception;

    abstract int port();

    @Override
    public abstract void close() throws Exception;

    /**
     * Starts it as the adapter kit's server; a server that fails to start is closed again.
     *
     * @throws Exception with the filter's failure among its causes or suppressed exceptions
     */
    KitServer startForKit() throws Exception {
        try {
            start();
        } catch (Exception e) {
            try {
                close();
            } catch (Exception again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        return KitServer.of(this::port, this);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(
                b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static final class OnJetty extends FilterServer {
        private final Server server = new Server();
        private final ServerConnector connector;

        OnJetty(Setup setup) {
            // HTTP/1.1, and HTTP/2 in clear text (h2c), whose requests carry no Host field
            HttpConfiguration http = new HttpConfiguration();
            connector =
                    new ServerConnector(
                            server,
                            new HttpConnectionFactory(http),
                            new HTTP2CServerConnectionFactory(http));
            connector.setHost("127.0.0.1");
            server.addConnector(connector);
            ServletContextHandler context =
                    new ServletContextHandler(
                            setup.contextPath().isEmpty() ? "/" : setup.contextPath());
            FilterHolder filter = new FilterHolder(VivariumFilter.class);
            filter.setName("vivarium");
            filter.setInitParameters(setup.initParams());
            context.addFilter(filter, "/*", setup.dispatches());
            context.addServlet(DispatchingServlet.class, "/dispatch/*");
            context.addServlet(PlainServlet.class, "/*");
            context.addEventListener(setup.listener());
            if (setup.errorPage500() != null) {
                ErrorPageErrorHandler errors = new ErrorPageErrorHandler();
                errors.addErrorPage(500, setup.errorPage500());
                context.setErrorHandler(errors);
            }
            server.setHandler(context);
        }

        @Override
        FilterServer start() throws Exception {
            server.start();
            return this;
        }

        @Override
        int port() {
            return connector.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            server.stop();
        }
    }

    /**
     * Embedded Tomcat. A filter that fails its {@code init} does not make {@code Tomcat.start()}
     * throw: Tomcat logs the failure and marks the context FAILED, so {@link #start()} checks the
     * context's state and rethrows what Tomcat logged.
     */
    private static final class OnTomcat extends FilterServer {
        /** Parent of the contexts' loggers ({@code ContainerBase.[Tomcat].[host].[/]}). */
        private static final Logger CONTEXT_LOG = Logger.getLogger("org.apache.catalina.core");

        private final Tomcat tomcat = new Tomcat();
        private final Path baseDir;
        private final Context context;

        OnTomcat(Setup setup) {
            try {
                baseDir = Files.createTempDirectory("vivarium-tomcat");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            tomcat.setBaseDir(baseDir.toString());
            tomcat.setHostname("127.0.0.1");
            Connector connector = tomcat.getConnector();
            connector.setPort(0);
            connector.setProperty("address", "127.0.0.1");
            connector.addUpgradeProtocol(new Http2Protocol());
            // Tomcat refuses these in a query unless told (Jetty passes them on): a site may
            // allow them
            connector.setProperty("relaxedQueryChars", "\"<>");
            context = tomcat.addContext(setup.contextPath(), baseDir.toString());

            FilterDef def = new FilterDef();
            def.setFilterName("vivarium");
            def.setFilterClass(VivariumFilter.class.getName());
            setup.initParams().forEach(def::addInitParameter);
            context.addFilterDef(def);
            FilterMap map = new FilterMap();
            map.setFilterName("vivarium");
            map.addURLPattern("/*");
            setup.dispatches().forEach(d -> map.setDispatcher(d.name()));
            context.addFilterMap(map);

            // an initializer runs before filters start, as the listener does on Jetty
            context.addServletContainerInitializer(
                    (classes, servletContext) ->
                            setup.listener()
                                    .contextInitialized(new ServletContextEvent(servletContext)),
                    null);
            Tomcat.addServlet(context, "dispatch", new DispatchingServlet());
            context.addServletMappingDecoded("/dispatch/*", "dispatch");
            Tomcat.addServlet(context, "plain", new PlainServlet());
            context.addServletMappingDecoded("/*", "plain");
            if (setup.errorPage500() != null) {
                ErrorPage page = new ErrorPage();
                page.setErrorCode(500);
                page.setLocation(setup.errorPage500());
                context.addErrorPage(page);
            }
        }

        @Override
        FilterServer start() throws Exception {
            List<Throwable> logged = new CopyOnWriteArrayList<>();
            Handler capture =
                    new Handler() {
                        @Override
                        public void publish(LogRecord r) {
                            if (r.getThrown() != null) {
                                logged.add(r.getThrown());
                            }
                        }

                        @Override
                        public void flush() {}

                        @Override
                        public void close() {}
                    };
            CONTEXT_LOG.addHandler(capture);
            try {
                tomcat.start();
            } finally {
                CONTEXT_LOG.removeHandler(capture);
            }
            if (context.getState() != LifecycleState.STARTED) {
                LifecycleException e =
                        new LifecycleException("the webapp did not start: " + context.getState());
                logged.forEach(e::addSuppressed);
                throw e;
            }
            return this;
        }

        @Override
        int port() {
            return tomcat.getConnector().getLocalPort();
        }

        @Override
        public void close() throws Exception {
            try {
                tomcat.stop();
                tomcat.destroy();
            } finally {
                try (var files = Files.walk(baseDir)) {
                    files.sorted(java.util.Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        }
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
            String query = req.getQueryString();
            String pathAndQuery = req.getRequestURI() + (query == null ? "" : "?" + query);
            // no status: as the site's error page it keeps the error's
            resp.setHeader(PassThrough.HEADER, "reached");
            resp.setContentType("text/plain;charset=utf-8");
            resp.getWriter().print(PassThrough.answer(req.getMethod(), pathAndQuery));
        }
    }
}
