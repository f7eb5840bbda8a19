package dev.vivarium.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * A webapp with no SLF4J provider on a real Tomcat: the filter's startup line, a line on how to add
 * a provider, guest output and guest faults reach the container's log ({@code ServletContext.log},
 * Tomcat's JULI logger of the context). Failsafe runs this class with slf4j-simple taken off the
 * class path ({@code classpathDependencyExcludes} in the POM), so only slf4j-api is there, as in a
 * WAR that lacks a provider.
 */
@Timeout(60)
class NoSlf4jProviderIT {
    @Test
    void startupLineHowToAddAProviderGuestOutputAndFaultsGoToTheContainersLog(@TempDir Path dir)
            throws Exception {
        assertInstanceOf(
                NOPLoggerFactory.class,
                LoggerFactory.getILoggerFactory(),
                "this test must run without an SLF4J provider on the class path");
        Path guests = Files.createDirectories(dir.resolve("guests"));
        for (String fixture : List.of("hello_raw.wat", "trap_div.wat")) {
            Files.copy(TestGuests.watFixtures().resolve(fixture), guests.resolve(fixture));
        }
        Files.writeString(
                guests.resolve("say.wat"),
                "(module (import \"env\" \"hostcall_debug\" (func $debug (param i32 i32)))"
                        + " (memory 1) (data (i32.const 0) \"hello from the guest\")"
                        + " (func (export \"run\") (call $debug (i32.const 0) (i32.const 20))))");
        List<String> containerLog = new CopyOnWriteArrayList<>();
        Logger contexts = Logger.getLogger("org.apache.catalina.core");
        Handler capture =
                new Handler() {
                    @Override
                    public void publish(LogRecord r) {
                        containerLog.add(r.getMessage());
                    }

                    @Override
                    public void flush() {}

                    @Override
                    public void close() {}
                };
        contexts.addHandler(capture);
        try (FilterServer server =
                FilterServer.create(
                        FilterServer.Container.TOMCAT,
                        Map.of(
                                "routes",
                                "/hello -> hello_raw.wat, /trap -> trap_div.wat, /say -> say.wat",
                                "guestDirectory",
                                guests.toString(),
                                "kv.directory",
                                dir.resolve("kv").toString()))) {
            server.start();
            HttpResponse<String> hello = server.get("/hello");
            assertEquals(200, hello.statusCode(), hello.body());
            assertEquals("Hello, world!", hello.body());
            assertEquals(500, server.get("/trap").statusCode());
            assertEquals(200, server.get("/say").statusCode());
        } finally {
            contexts.removeHandler(capture);
        }
        assertTrue(containerLog.contains(FilterLog.NO_PROVIDER), String.join("\n", containerLog));
        assertTrue(
                containerLog.stream()
                        .anyMatch(
                                l ->
                                        l.startsWith(
                                                        "Vivarium started: routes [/hello ->"
                                                                + " hello_raw.wat, /trap -> trap_div.wat,"
                                                                + " /say -> say.wat]; 3 deployments"
                                                                + " (0 uploaded); admin API off")
                                                && l.contains("KV backend mapdb in " + dir)
                                                && l.endsWith("(webapp '/')")),
                String.join("\n", containerLog));
        // guest output and faults, which SLF4J would have dropped
        assertTrue(
                containerLog.contains("Vivarium guest [say] hello from the guest"),
                String.join("\n", containerLog));
        assertTrue(
                containerLog.stream()
                        .anyMatch(
                                l ->
                                        l.startsWith("Vivarium fault [trap_div] trap 500 /trap: ")
                                                && l.contains("integer divide by zero")),
                String.join("\n", containerLog));
    }
}
