package dev.vivarium.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.eclipse.jetty.ee10.webapp.MetaInfConfiguration;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Runs the sample WAR on an embedded Jetty: {@code java -jar target/vivarium-sample.jar [--port N]
 * [--host ADDR] [--guests DIR] [--config FILE] [--kv-directory DIR] [--help]}; each option may also
 * come from an environment variable ({@code VIVARIUM_PORT}, ...), see {@link
 * LauncherOptions#USAGE}. The older system properties {@code jetty.http.port}, {@code
 * jetty.http.host} and {@code vivarium.kv.directory} still work when neither is given.
 */
public final class Launcher {
    /** A {@link MetaInfConfiguration#WEBINF_JAR_PATTERN} that no jar matches. */
    static final String NO_JARS = "^$";

    /** The system property the sample's web.xml reads {@code kv.directory} from. */
    static final String KV_DIRECTORY = "vivarium.kv.directory";

    /** The filter's name in the sample's web.xml. */
    private static final String FILTER = "vivarium";

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        LauncherOptions options;
        try {
            options = LauncherOptions.parse(List.of(args), System::getenv, System::getProperty);
        } catch (LauncherOptions.UsageException e) {
            System.err.println("vivarium-sample: " + e.getMessage());
            System.err.println("Run with --help to see every option.");
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.print(LauncherOptions.USAGE);
            return;
        }
        Path kv = options.kvDirectory() != null ? options.kvDirectory() : defaultDataDirectory();
        // the webapp's temp dir, the filter's default, goes when the server stops
        System.setProperty(KV_DIRECTORY, kv.toString());
        System.out.printf(
                "KV stores and uploaded deployments in %s (--kv-directory DIR to move them)%n", kv);
        Server server;
        try {
            server = start(options);
        } catch (Exception e) {
            System.err.println("vivarium-sample: the site did not start: " + rootMessage(e));
            System.exit(1);
            return;
        }
        server.join();
    }

    /** Starts the site on this port and host with the WAR's own settings. */
    public static Server start(int port, String host) throws Exception {
        return start(new LauncherOptions(port, host, null, null, Map.of(), null, false));
    }

    /** Starts the site; returns the running server (its port is the connector's local port). */
    static Server start(LauncherOptions options) throws Exception {
        // the WAR's outbound allowlists name the site's own port (${sys.jetty.http.port}), so a
        // free port is chosen here rather than by the connector
        int port = options.port() == 0 ? freePort(options.host()) : options.port();
        System.setProperty("jetty.http.port", Integer.toString(port));
        Path war = extractWar();
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(options.host());
        connector.setPort(port);
        server.addConnector(connector);

        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath("/");
        webapp.setWar(war.toString());
        webapp.setThrowUnavailableOnStartupException(true);
        Map<String, String> overrides = new LinkedHashMap<>(options.settings());
        if (options.guests() != null) {
            overrides.put("guestDirectory", options.guests().toString());
        }
        if (!overrides.isEmpty()) {
            webapp.addOverrideDescriptor(overrideDescriptor(war.getParent(), overrides).toString());
        }
        // The WAR carries slf4j-api for other containers; loaded from WEB-INF/lib it would not see
        // this jar's slf4j-simple ("not a subtype") and the webapp's logs would go nowhere.
        webapp.getProtectedClassMatcher().add("org.slf4j.");
        // No jar in WEB-INF/lib has web fragments, TLDs, META-INF/resources or container
        // initializers (WarJarsIT checks): scanning its 48 jars for them at every start
        // is skipped (a pattern no jar's URI matches)
        webapp.setAttribute(MetaInfConfiguration.WEBINF_JAR_PATTERN, NO_JARS);
        server.setHandler(webapp);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        server.setStopAtShutdown(true);
        String base =
                "http://"
                        + ("0.0.0.0".equals(options.host()) ? "localhost" : options.host())
                        + ":"
                        + connector.getLocalPort();
        System.out.printf("Vivarium sample site on %s/%n", base);
        for (String route : routes(webapp)) {
            System.out.printf("  %s%s%n", base, route);
        }
        return server;
    }

    /**
     * The routes the running filter serves ({@code /hello -> hello.wasm}, ...), read from the
     * webapp's own classes (the engine lives in the webapp's class loader, not in this jar's).
     */
    private static List<String> routes(WebAppContext webapp) {
        List<String> routes = new ArrayList<>();
        try {
            Object filter = webapp.getServletHandler().getFilter(FILTER).getFilter();
            Object engine = filter.getClass().getMethod("engine").invoke(filter);
            Object specs = engine.getClass().getMethod("deployments").invoke(engine);
            for (Object spec : (List<?>) specs.getClass().getMethod("specs").invoke(specs)) {
                routes.add(spec.toString());
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            routes.add("(routes unknown: " + e + ")");
        }
        return routes;
    }

    /**
     * A web.xml fragment that Jetty applies over the WAR's own (an override descriptor): the
     * settings as the filter's init-params, each replacing the WAR's of the same name.
     */
    private static Path overrideDescriptor(Path dir, Map<String, String> settings)
            throws IOException {
        StringBuilder xml =
                new StringBuilder(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                + "<web-app xmlns=\"https://jakarta.ee/xml/ns/jakartaee\""
                                + " version=\"6.0\">\n  <filter>\n    <filter-name>"
                                + FILTER
                                + "</filter-name>\n");
        settings.forEach(
                (name, value) ->
                        xml.append("    <init-param><param-name>")
                                .append(escape(name))
                                .append("</param-name><param-value>")
                                .append(escape(value))
                                .append("</param-value></init-param>\n"));
        xml.append("  </filter>\n</web-app>\n");
        Path file = dir.resolve("override-web.xml");
        Files.writeString(file, xml, StandardCharsets.UTF_8);
        file.toFile().deleteOnExit();
        return file;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static int freePort(String host) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return s.getLocalPort();
        }
    }

    /** The innermost message: a bad setting's own sentence, not the container's wrapping. */
    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m != null ? m : t.toString();
    }

    /** {@code vivarium-data/kv} next to this jar (or its classes directory). */
    private static Path defaultDataDirectory() throws Exception {
        Path code =
                Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return code.toAbsolutePath().getParent().resolve("vivarium-data").resolve("kv");
    }

    /** The WAR travels inside this jar; Jetty deploys it from a file. */
    /**
     * Unpacks the WAR inside this jar into a new temporary directory, once: Jetty serves the
     * unpacked directory as it is (given the .war file, it would unpack its own copy of it again,
     * 26 MB written twice on every start). Deleted when the JVM exits, after the shutdown hooks
     * (the server's stop among them), as {@code deleteOnExit} does: children before parents.
     *
     * @return the webapp's directory; its parent is the temporary directory, free for other files
     */
    private static Path extractWar() throws IOException {
        Path dir = Files.createTempDirectory("vivarium-sample");
        dir.toFile().deleteOnExit();
        Path webapp = dir.resolve("webapp");
        java.util.Set<Path> made = new java.util.HashSet<>();
        try (InputStream in = Launcher.class.getResourceAsStream("/vivarium-sample-webapp.war")) {
            if (in == null) {
                throw new IllegalStateException(
                        "vivarium-sample-webapp.war is not on the classpath: build with 'mvn -B package' and run"
                                + " 'java -jar sample-webapp/target/vivarium-sample.jar'");
            }
            try (ZipInputStream zip = new ZipInputStream(in)) {
                for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                    Path target = webapp.resolve(e.getName()).normalize();
                    if (!target.startsWith(webapp)) {
                        throw new IOException(
                                "entry outside the webapp in the WAR: " + e.getName());
                    }
                    if (e.isDirectory()) {
                        directory(target, webapp, made);
                    } else {
                        directory(target.getParent(), webapp, made);
                        Files.copy(zip, target, StandardCopyOption.REPLACE_EXISTING);
                        target.toFile().deleteOnExit();
                    }
                }
            }
        }
        return webapp;
    }

    /**
     * Creates {@code dir} and its parents up to {@code root}, each deleted on exit after its
     * contents.
     */
    private static void directory(Path dir, Path root, java.util.Set<Path> made)
            throws IOException {
        if (made.contains(dir)) {
            return;
        }
        if (!dir.equals(root)) {
            directory(dir.getParent(), root, made);
        }
        Files.createDirectories(dir);
        dir.toFile().deleteOnExit(); // registered before what it holds: deleted after it
        made.add(dir);
    }
}
