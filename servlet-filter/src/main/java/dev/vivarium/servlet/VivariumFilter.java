package dev.vivarium.servlet;

import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import dev.vivarium.core.config.VivariumSettings;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.UnavailableException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Answers requests that match a route with a WebAssembly guest; all other requests continue down
 * the filter chain untouched.
 *
 * <pre>{@code
 * <filter>
 *   <filter-name>vivarium</filter-name>
 *   <filter-class>dev.vivarium.servlet.VivariumFilter</filter-class>
 *   <init-param>
 *     <param-name>routes</param-name>
 *     <param-value>/hello -> hello.wasm, /api/* -> api.wasm; deadline=2s</param-value>
 *   </init-param>
 * </filter>
 * <filter-mapping>
 *   <filter-name>vivarium</filter-name>
 *   <url-pattern>/*</url-pattern>
 * </filter-mapping>
 * }</pre>
 *
 * <p>Init-params are the Vivarium settings, declared in {@link VivariumSettings} and listed in
 * {@code docs/configuration.md}: the same names as the Jetty module's {@code jetty.vivarium.*}
 * properties. Values may use {@code ${env.NAME}} and {@code ${sys.NAME}}, with a default after
 * {@code :} (see {@link dev.vivarium.core.config.Placeholders}). Guest files are looked up in
 * {@code guestDirectory}, by default the webapp's {@code /WEB-INF/guests}; KV stores live in {@code
 * kv.directory}, by default under the webapp's temp dir. A bad setting or guest stops the webapp at
 * start with a message naming it. Paths in routes, and the admin API's {@code admin.path}, are
 * relative to the webapp's context path; a guest sees the request URI as the client sent it,
 * context path included.
 *
 * <p>Metrics (Micrometer) go to the {@link MeterRegistry} the webapp puts in the servlet context
 * attribute {@value #METER_REGISTRY_ATTRIBUTE} before the filter starts (from a {@code
 * ServletContextListener}, say; {@code Metrics.globalRegistry} is one choice); without one the
 * engine keeps its own. Not the global registry by default: engines that share a registry share
 * meters of the same name, and the first to stop removes them.
 *
 * <p>At start the filter logs one line (routes, deployments, admin API, KV backend) through SLF4J;
 * a webapp with no SLF4J provider gets it in the container's log ({@code ServletContext.log})
 * instead, with a line on how to add one.
 */
public final class VivariumFilter implements Filter {
    /** The servlet context attribute that may hold the {@link MeterRegistry} for the metrics. */
    public static final String METER_REGISTRY_ATTRIBUTE = "dev.vivarium.servlet.meterRegistry";

    private static final String GUESTS = "/WEB-INF/guests/";

    private Vivarium engine;

    @Override
    public void init(FilterConfig config) throws ServletException {
        ServletContext context = config.getServletContext();
        FilterLog log = new FilterLog(context);
        Map<String, String> initParams = new LinkedHashMap<>();
        for (String name : Collections.list(config.getInitParameterNames())) {
            initParams.put(name, config.getInitParameter(name));
        }
        try {
            Settings settings = new Settings(initParams); // resolves ${env.X}, ${sys.X}
            Path tmp = tempDir(context);
            VivariumOptions options =
                    VivariumOptions.parse(
                            settings,
                            defaultGuestDirectory(context, tmp),
                            tmp.resolve("vivarium-kv"));
            engine =
                    Vivarium.builder(options)
                            .meterRegistry(meterRegistry(context))
                            .logSink(log.engineSink())
                            .start();
            log.info(engine.startupLine() + " (" + contextName(context) + ")");
            log.debug(engine.describe());
            if (!settings.isSet(VivariumSettings.KV_DIRECTORY) && engine.keepsData()) {
                log.warn(
                        "Vivarium in "
                                + contextName(context)
                                + " keeps KV stores and uploaded deployments in the webapp's"
                                + " temp dir "
                                + engine.dataDirectory()
                                + ", which the container may delete on redeploy or"
                                + " restart: set kv.directory to keep them");
            }
        } catch (ConfigurationException e) {
            throw new UnavailableException(
                    "Vivarium filter '"
                            + config.getFilterName()
                            + "' in "
                            + contextName(context)
                            + ": "
                            + e.getMessage());
        }
    }

    private static MeterRegistry meterRegistry(ServletContext context) {
        Object given = context.getAttribute(METER_REGISTRY_ATTRIBUTE);
        if (given == null) {
            return null; // the engine's own
        }
        if (given instanceof MeterRegistry registry) {
            return registry;
        }
        throw new ConfigurationException(
                "servlet context attribute '"
                        + METER_REGISTRY_ATTRIBUTE
                        + "' holds a "
                        + given.getClass().getName()
                        + ", not an io.micrometer.core.instrument.MeterRegistry of this webapp's"
                        + " class loader");
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request)
                || !(resp instanceof HttpServletResponse response)
                || !answers(request.getDispatcherType())) {
            chain.doFilter(req, resp);
            return;
        }
        if (!engine.serve(new ServletExchange(request, response))) {
            chain.doFilter(req, resp);
        }
    }

    /**
     * Guests answer requests, and forwards (the target's route answers): never an include, which
     * writes into another page's response, an error dispatch (a guest's own error would run a guest
     * again) or an async dispatch, whatever dispatcher types the filter is mapped for.
     */
    private static boolean answers(DispatcherType type) {
        return type == DispatcherType.REQUEST || type == DispatcherType.FORWARD;
    }

    private static Path tempDir(ServletContext context) {
        Object dir = context.getAttribute(ServletContext.TEMPDIR);
        if (dir instanceof File f) {
            return f.toPath();
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * {@code /WEB-INF/guests} of the webapp. When the webapp is not unpacked on disk (no real
     * path), its guests are copied to the temp dir, since guests are loaded from files.
     */
    private static Path defaultGuestDirectory(ServletContext context, Path tmp) {
        String real = context.getRealPath(GUESTS);
        if (real != null) {
            return Path.of(real);
        }
        Path target = tmp.resolve("vivarium-guests");
        Set<String> paths = context.getResourcePaths(GUESTS);
        if (paths == null) {
            return target;
        }
        try {
            Files.createDirectories(target);
            for (String p : paths) {
                if (p.endsWith("/")) {
                    continue;
                }
                try (InputStream in = context.getResourceAsStream(p)) {
                    if (in != null) {
                        Files.copy(
                                in,
                                target.resolve(p.substring(GUESTS.length())),
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            throw new ConfigurationException(
                    "cannot copy " + GUESTS + " to " + target + ": " + e, e);
        }
        return target;
    }

    private static String contextName(ServletContext context) {
        String path = context.getContextPath();
        return "webapp '" + (path == null || path.isEmpty() ? "/" : path) + "'";
    }

    /** The running engine, e.g. for metrics or KV administration; null before init. */
    public Vivarium engine() {
        return engine;
    }

    @Override
    public void destroy() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }
}
