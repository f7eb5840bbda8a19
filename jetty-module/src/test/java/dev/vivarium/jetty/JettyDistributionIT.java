package dev.vivarium.jetty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The module as a user gets it: a real jetty-home (from Maven Central, unpacked by the build), a
 * fresh jetty-base with the distribution zip unpacked into it, {@code --add-modules=http,vivarium},
 * properties in {@code start.d/vivarium.ini}, and Jetty started as its own process on 127.0.0.1.
 */
@Timeout(180)
class JettyDistributionIT {
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern STARTED_CONNECTOR =
            Pattern.compile(
                    "Started (?:oejs\\.)?ServerConnector@\\S+\\{[^}]*}\\{127\\.0\\.0\\.1:(\\d+)}");

    private final Path jettyHome = Path.of(property("vivarium.it.jettyHome"));
    private final Path distribution = Path.of(property("vivarium.it.distribution"));
    private Path base;
    private Process jetty;

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run this test with mvn verify");
        }
        return value;
    }

    @BeforeEach
    void createJettyBase(TestInfo test) throws IOException {
        Path work = Path.of(property("vivarium.it.workDirectory"));
        base = work.resolve(test.getTestMethod().orElseThrow().getName());
        deleteRecursively(base);
        Files.createDirectories(base);
        unzip(distribution, base);
    }

    @AfterEach
    void stopJetty() throws InterruptedException {
        if (jetty != null) {
            stop(jetty);
        }
    }

    @Test
    void aGuestAnswersInARealJettyHomeWithTheVivariumModuleAdded() throws Exception {
        Path ini = addModules();
        assertTrue(
                Files.readString(ini).contains("# jetty.vivarium.routes="),
                "the ini-template becomes start.d/vivarium.ini");
        Path guests = base.resolve("vivarium/guests");
        assertTrue(Files.isDirectory(guests), "[files] creates the default guest directory");

        for (String fixture : List.of("hello_raw.wat", "trap_div.wat")) {
            Files.copy(TestGuests.watFixtures().resolve(fixture), guests.resolve(fixture));
        }
        Files.writeString(
                ini,
                String.join(
                        "\n",
                        "",
                        "jetty.vivarium.routes=/hello -> hello_raw.wat, /trap -> trap_div.wat",
                        "jetty.vivarium.deadline=5s",
                        "jetty.vivarium.poolSize=2",
                        "jetty.vivarium.admin.token=" + ADMIN_TOKEN,
                        ""),
                StandardOpenOption.APPEND);

        Path log = base.resolve("jetty.log");
        jetty =
                startJava(
                        log,
                        "jetty.http.host=127.0.0.1",
                        "jetty.http.port=0",
                        "jetty.server.dumpAfterStart=true");
        int port = awaitPort(jetty, log);

        HttpClient client = HttpClient.newBuilder().connectTimeout(STEP_TIMEOUT).build();
        HttpResponse<String> hello = get(client, port, "/hello");
        assertEquals(200, hello.statusCode(), hello.body());
        assertEquals("Hello, world!", hello.body());
        assertEquals(404, get(client, port, "/not-routed").statusCode(), "Jetty's own 404");
        HttpResponse<String> trap = get(client, port, "/trap");
        assertEquals(500, trap.statusCode());
        assertTrue(
                trap.body().contains("guest trapped: integer divide by zero in trap_div.wat"),
                trap.body());
        assertEquals("Hello, world!", get(client, port, "/hello").body(), "still serving");

        // the admin API, enabled by jetty.vivarium.admin.token: upload a guest at run time
        HttpRequest put =
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://127.0.0.1:"
                                                + port
                                                + "/_vivarium/deployments/up?route=/up"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .PUT(
                                HttpRequest.BodyPublishers.ofFile(
                                        TestGuests.watFixtures().resolve("hello_raw.wat")))
                        .timeout(STEP_TIMEOUT)
                        .build();
        HttpResponse<String> created = client.send(put, HttpResponse.BodyHandlers.ofString(UTF_8));
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("Hello, world!", get(client, port, "/up").body(), "the uploaded guest");
        assertTrue(
                Files.isRegularFile(base.resolve("vivarium/kv/.uploads/up.wat")),
                "kept under jetty.base");

        String output = Files.readString(log);
        assertTrue(output.contains("VivariumHandler@"), "the server dump shows the handler");
        assertTrue(output.contains("InstancePool[hello_raw.wat"), "and the guests' pools");
    }

    @Test
    void jettyRefusesToStartWithAMessageNamingABadSetting() throws Exception {
        Path ini = addModules();
        Files.writeString(
                ini,
                "\njetty.vivarium.routes=/hello -> hello.wasm\njetty.vivarium.deadline=soon\n",
                StandardOpenOption.APPEND);

        Path log = base.resolve("jetty.log");
        jetty = startJava(log, "jetty.http.host=127.0.0.1", "jetty.http.port=0");

        assertTrue(jetty.waitFor(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "Jetty did not exit");
        String output = Files.readString(log);
        assertTrue(jetty.exitValue() != 0, output);
        assertTrue(output.contains("invalid value 'soon' for Vivarium setting 'deadline'"), output);
    }

    /** {@code --add-modules=http,vivarium} in the fresh jetty-base; returns vivarium.ini. */
    private Path addModules() throws Exception {
        Path log = base.resolve("add-modules.log");
        Process add = startJava(log, "--add-modules=http,vivarium");
        assertTrue(add.waitFor(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "--add-modules hung");
        assertEquals(0, add.exitValue(), Files.readString(log));
        return base.resolve("start.d/vivarium.ini");
    }

    private Process startJava(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jettyHome.resolve("start.jar").toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .directory(base.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** Waits for the connector's "Started" line and reads the port Jetty chose. */
    private static int awaitPort(Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String output = Files.exists(log) ? Files.readString(log) : "";
            Matcher m = STARTED_CONNECTOR.matcher(output);
            if (m.find() && output.contains("Started oejs.Server@")) {
                return Integer.parseInt(m.group(1));
            }
            if (!process.isAlive()) {
                fail("Jetty exited with " + process.exitValue() + ":\n" + output);
            }
            Thread.sleep(100);
        }
        fail("Jetty did not start within " + STEP_TIMEOUT + ":\n" + Files.readString(log));
        return -1;
    }

    private static final String ADMIN_TOKEN = "distribution-test-token-42";

    private static HttpResponse<String> get(HttpClient client, int port, String path)
            throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(STEP_TIMEOUT)
                        .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString(UTF_8));
    }

    private static void stop(Process process) throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    private static void unzip(Path zip, Path into) throws IOException {
        try (InputStream in = Files.newInputStream(zip);
                ZipInputStream entries = new ZipInputStream(in)) {
            for (ZipEntry e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
                Path target = into.resolve(e.getName()).normalize();
                if (!target.startsWith(into)) {
                    throw new IOException("zip entry outside the jetty-base: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(entries, target);
                }
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
