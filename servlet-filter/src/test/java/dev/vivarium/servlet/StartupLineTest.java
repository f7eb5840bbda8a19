package dev.vivarium.servlet;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filter logs its startup line through SLF4J when the webapp has a provider (here slf4j-simple,
 * which writes to {@code System.err}; the POM sets the filter's logger to INFO).
 */
@Timeout(60)
class StartupLineTest {
    @Test
    void logsRoutesDeploymentsAdminPathAndKvBackendOnceAtStart(@TempDir Path dir) throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, UTF_8));
        try (FilterServer server =
                FilterServer.create(
                        FilterServer.Container.JETTY,
                        Map.of(
                                "routes", "/hello -> hello_raw.wat, /c/* -> hello_raw.wat; id=c",
                                "guestDirectory", TestGuests.watFixtures().toString(),
                                "kv.directory", dir.resolve("kv").toString(),
                                "admin.token", "a-token-of-sixteen-or-more",
                                "admin.path", "/ops"))) {
            server.start();
            assertEquals(200, server.get("/hello").statusCode());
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(UTF_8);
        String expected =
                "Vivarium started: routes [/hello -> hello_raw.wat, /c/* -> hello_raw.wat; id=c];"
                        + " 2 deployments (0 uploaded); admin API at /ops; health at /__health;"
                        + " KV backend mapdb in "
                        + dir.resolve("kv")
                        + "; uploads in file "
                        + dir.resolve("kv").resolve(".uploads")
                        + " (webapp '/')";
        assertTrue(log.contains(expected), log);
        assertEquals(log.indexOf("Vivarium started:"), log.lastIndexOf("Vivarium started:"), log);
        assertFalse(log.contains(FilterLog.NO_PROVIDER), "a provider is there");
    }
}
