package dev.vivarium.sample;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Runs the sample WAR on an embedded Jetty: {@code java -jar target/vivarium-sample.jar}.
 *
 * <p>System properties: {@code jetty.http.port} (default 8080, 0 for any free port), {@code
 * jetty.http.host} (default 127.0.0.1; use 0.0.0.0 to listen on every interface) and {@code
 * vivarium.kv.directory} (where KV stores and uploaded deployments are kept across restarts;
 * default {@code vivarium-data/kv} next to the jar).
 */
public final class Launcher {
    /** The system property the sample's web.xml reads {@code kv.directory} from. */
    static final String KV_DIRECTORY = "vivarium.kv.directory";

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (System.getProperty(KV_DIRECTORY) == null) {
            // the webapp's temp dir, the filter's default, goes when the server stops
            System.setProperty(KV_DIRECTORY, defaultDataDirectory().toString());
        }
        System.out.printf(
                "KV stores and uploaded deployments in %s (-D%s=... to move them)%n",
                System.getProperty(KV_DIRECTORY), KV_DIRECTORY);
        Server server =
                start(
                        Integer.getInteger("jetty.http.port", 8080),
                        System.getProperty("jetty.http.host", "127.0.0.1"));
        server.join();
    }

    /** Starts the site; returns the running server (its port is the connector's local port). */
    public static Server start(int port, String host) throws Exception {
        Path war = extractWar();
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);

        WebAppContext webapp = new WebAppContext();
        webapp.setContextPath("/");
        webapp.setWar(war.toString());
        webapp.setThrowUnavailableOnStartupException(true);
        // The WAR carries slf4j-api for other containers; loaded from WEB-INF/lib it would not see
        // this jar's slf4j-simple ("not a subtype") and the webapp's logs would go nowhere.
        webapp.getProtectedClassMatcher().add("org.slf4j.");
        server.setHandler(webapp);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        server.setStopAtShutdown(true);
        System.out.printf(
                "Vivarium sample site on http://%s:%d/ (try /hello, /echo/x?y=1, /counter, /c/hello)%n",
                "0.0.0.0".equals(host) ? "localhost" : host, connector.getLocalPort());
        return server;
    }

    /** {@code vivarium-data/kv} next to this jar (or its classes directory). */
    private static Path defaultDataDirectory() throws Exception {
        Path code =
                Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return code.toAbsolutePath().getParent().resolve("vivarium-data").resolve("kv");
    }

    /** The WAR travels inside this jar; Jetty deploys it from a file. */
    private static Path extractWar() throws IOException {
        Path dir = Files.createTempDirectory("vivarium-sample");
        Path war = dir.resolve("vivarium-sample-webapp.war");
        try (InputStream in = Launcher.class.getResourceAsStream("/vivarium-sample-webapp.war")) {
            if (in == null) {
                throw new IllegalStateException(
                        "vivarium-sample-webapp.war is not on the classpath: build with 'mvn -B package' and run"
                                + " 'java -jar sample-webapp/target/vivarium-sample.jar'");
            }
            Files.copy(in, war, StandardCopyOption.REPLACE_EXISTING);
        }
        dir.toFile().deleteOnExit();
        war.toFile().deleteOnExit();
        return war;
    }
}
