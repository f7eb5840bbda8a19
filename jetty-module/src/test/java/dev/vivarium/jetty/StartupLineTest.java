package dev.vivarium.jetty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded handler logs the startup line when its engine starts (here through slf4j-simple,
 * which writes to {@code System.err}; the POM sets the handler's logger to INFO). The jetty-home
 * module's line is checked in Jetty's own log by {@code JettyDistributionIT}.
 */
@Timeout(60)
class StartupLineTest {
    @Test
    void logsRoutesDeploymentsAdminPathAndKvBackendOnceAtStart(@TempDir Path dir) throws Exception {
        VivariumHandler handler = new VivariumHandler();
        handler.setSettings(
                Map.of(
                        "routes", "/hello -> hello_raw.wat",
                        "guestDirectory", TestGuests.watFixtures().toString(),
                        "kv.directory", dir.resolve("kv").toString()));
        Server server = new Server();
        server.setHandler(handler);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, UTF_8));
        try {
            server.start();
        } finally {
            System.setErr(err);
            server.stop();
        }
        String log = captured.toString(UTF_8);
        assertTrue(
                log.contains(
                        "Vivarium started: routes [/hello -> hello_raw.wat]; 1 deployment (0"
                                + " uploaded); admin API off (no admin.token); health at"
                                + " /__health; KV backend mapdb in "
                                + dir.resolve("kv")),
                log);
        assertEquals(log.indexOf("Vivarium started:"), log.lastIndexOf("Vivarium started:"), log);
    }
}
