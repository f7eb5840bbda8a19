package dev.vivarium.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * The sample's WAR as built ({@code target/vivarium-sample-webapp.war}: slf4j-api in {@code
 * WEB-INF/lib}, no provider) deployed on a real Tomcat 10.1 whose class path has no SLF4J provider
 * either (failsafe takes slf4j-simple off it, see the POM): the filter's startup line, the line on
 * how to add a provider and a guest's fault reach Tomcat's log of the webapp ({@code
 * ServletContext.log}).
 */
// the WAR routes a dozen guests, compiled at start: slow on a loaded machine
@Timeout(300)
class WarWithoutSlf4jProviderIT {
    @Test
    void theFiltersLinesAndGuestFaultsReachTomcatsLog(@TempDir Path dir) throws Exception {
        assertInstanceOf(
                NOPLoggerFactory.class,
                LoggerFactory.getILoggerFactory(),
                "this test must run without an SLF4J provider on the class path");
        Path war = Path.of("target/vivarium-sample-webapp.war").toAbsolutePath();
        assertTrue(Files.isRegularFile(war), "run after 'package': " + war);
        List<String> webappLog = new CopyOnWriteArrayList<>();
        Logger contexts = Logger.getLogger("org.apache.catalina.core");
        Handler capture =
                new Handler() {
                    @Override
                    public void publish(LogRecord r) {
                        webappLog.add(r.getMessage());
                    }

                    @Override
                    public void flush() {}

                    @Override
                    public void close() {}
                };
        contexts.addHandler(capture);
        System.setProperty(Launcher.KV_DIRECTORY, dir.resolve("kv").toString());
        Tomcat tomcat = new Tomcat();
        try {
            tomcat.setBaseDir(dir.resolve("tomcat").toString());
            Files.createDirectories(dir.resolve("tomcat/webapps"));
            // Tomcat's defaults: its DefaultServlet, without which no filter sees an unmapped
            // path (the "jsp" servlet fails to load, as Jasper is not here, and is not needed)
            tomcat.setHostname("127.0.0.1");
            tomcat.getConnector().setPort(0);
            tomcat.getConnector().setProperty("address", "127.0.0.1");
            Context context = tomcat.addWebapp("", war.toString());
            tomcat.start();
            assertEquals(LifecycleState.STARTED, context.getState(), String.join("\n", webappLog));
            String base = "http://127.0.0.1:" + tomcat.getConnector().getLocalPort();
            HttpResponse<String> hello =
                    SampleProcess.send(HttpRequest.newBuilder(URI.create(base + "/hello")));
            assertEquals(200, hello.statusCode(), hello.body());
            assertEquals("Hello, world!", hello.body());
            HttpResponse<String> panic =
                    SampleProcess.send(HttpRequest.newBuilder(URI.create(base + "/panic")));
            assertEquals(500, panic.statusCode(), panic.body());
        } finally {
            tomcat.stop();
            tomcat.destroy();
            contexts.removeHandler(capture);
            System.clearProperty(Launcher.KV_DIRECTORY);
        }
        String log = String.join("\n", webappLog);
        assertTrue(log.contains("Vivarium: no SLF4J provider in this webapp"), log);
        assertTrue(
                log.contains("Vivarium started: routes [") && log.contains("/hello -> hello.wasm"),
                log);
        assertTrue(log.contains("Vivarium fault [panic] panic 500 /panic: "), log);
    }
}
