package dev.vivarium.jetty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The module as a user gets it: a real jetty-home (from Maven Central, unpacked by the build), a
 * fresh jetty-base with the distribution zip unpacked into it, {@code --add-modules=http,vivarium},
 * properties in {@code start.d/vivarium.ini}, and Jetty started as its own process on 127.0.0.1.
 * Every test runs on each jetty-home the build unpacked: the newest 12.0.x and 12.1.x (see {@code
 * it.jetty-home-12.*.version} in the POM).
 */
@Timeout(240)
class JettyDistributionIT {
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern STARTED_CONNECTOR =
            Pattern.compile(
                    "Started (?:oejs\\.)?ServerConnector@\\S+\\{[^}]*}\\{127\\.0\\.0\\.1:(\\d+)}");

    private final Path distribution = Path.of(property("vivarium.it.distribution"));
    private Path jettyHome;
    private Path base;
    private Process jetty;
    private HttpServer upstream;

    /** The unpacked jetty-homes, one per Jetty line; each must exist. */
    static List<Path> jettyHomes() {
        List<Path> homes = new ArrayList<>();
        for (String dir : property("vivarium.it.jettyHomes").split(",")) {
            Path home = Path.of(dir.trim());
            if (!Files.isRegularFile(home.resolve("start.jar"))) {
                throw new IllegalStateException("no jetty-home (start.jar) in " + home);
            }
            homes.add(home);
        }
        return homes;
    }

    @Test
    void runsOnTheNewestJetty120AndJetty121() {
        List<String> lines =
                jettyHomes().stream()
                        .map(
                                h ->
                                        h.getFileName()
                                                .toString()
                                                .replaceAll("^jetty-home-(12\\.\\d+)\\..*", "$1"))
                        .sorted()
                        .toList();
        assertEquals(
                List.of("12.0", "12.1"), lines, "one jetty-home of each line: " + jettyHomes());
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run this test with mvn verify");
        }
        return value;
    }

    /** A fresh jetty-base for this test on this jetty-home, with the distribution unzipped. */
    private void createJettyBase(Path home, TestInfo test) throws IOException {
        jettyHome = home;
        Path work = Path.of(property("vivarium.it.workDirectory"));
        base =
                work.resolve(home.getFileName().toString())
                        .resolve(test.getTestMethod().orElseThrow().getName());
        deleteRecursively(base);
        Files.createDirectories(base);
        unzip(distribution, base);
    }

    @AfterEach
    void stopJetty() throws InterruptedException {
        if (jetty != null) {
            stop(jetty);
        }
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jettyHomes")
    void aGuestAnswersInARealJettyHomeWithTheVivariumModuleAdded(Path home, TestInfo test)
            throws Exception {
        createJettyBase(home, test);
        Path ini = addModules();
        assertTrue(
                Files.readString(ini).contains("# jetty.vivarium.routes="),
                "the ini-template becomes start.d/vivarium.ini");
        // [depend] is server only: core carries its own (relocated) HTTP client, so the host's
        // Jetty, 12.0 or 12.1, puts no jetty-client on the server's class path
        String classpath = run("classpath.log", "--list-classpath");
        assertTrue(classpath.contains("jetty-server-"), classpath);
        assertTrue(classpath.contains("lib/vivarium/vivarium-core-"), classpath);
        assertFalse(classpath.contains("jetty-client-"), classpath);
        Path guests = base.resolve("vivarium/guests");
        assertTrue(Files.isDirectory(guests), "[files] creates the default guest directory");

        for (String fixture : List.of("hello_raw.wat", "trap_div.wat")) {
            Files.copy(TestGuests.watFixtures().resolve(fixture), guests.resolve(fixture));
        }
        // a guest's outbound call, through core's own HTTP client on either Jetty line
        Files.copy(TestGuests.dist().resolve("fetch.wasm"), guests.resolve("fetch.wasm"));
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext(
                "/up",
                exchange -> {
                    byte[] body = "from upstream".getBytes(UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                });
        upstream.start();
        String upstreamBase = "http://127.0.0.1:" + upstream.getAddress().getPort();
        Files.writeString(
                ini,
                String.join(
                        "\n",
                        "",
                        "jetty.vivarium.routes=/hello -> hello_raw.wat, /trap -> trap_div.wat,"
                                + " /fetch -> fetch.wasm",
                        "jetty.vivarium.outbound.allow=" + upstreamBase,
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
        HttpResponse<String> fetched =
                get(client, port, "/fetch?url=" + URLEncoder.encode(upstreamBase + "/up", UTF_8));
        assertEquals(200, fetched.statusCode(), fetched.body());
        assertEquals("from upstream", fetched.body());

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
        // the startup line, in Jetty's own log (jetty-home's logging module)
        assertTrue(
                output.contains(
                        "Vivarium started: routes [/fetch -> fetch.wasm, /hello -> hello_raw.wat,"
                                + " /trap -> trap_div.wat]; 3 deployments (0 uploaded); admin API at /_vivarium; health at"
                                + " /__health; KV backend mapdb in "
                                + base.resolve("vivarium/kv")),
                output);
        assertTrue(output.contains("VivariumHandler@"), "the server dump shows the handler");
        assertTrue(output.contains("InstancePool[hello_raw.wat"), "and the guests' pools");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jettyHomes")
    void jettyRefusesToStartWithAMessageNamingABadSetting(Path home, TestInfo test)
            throws Exception {
        createJettyBase(home, test);
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
        run("add-modules.log", "--add-modules=http,vivarium");
        return base.resolve("start.d/vivarium.ini");
    }

    /** Runs start.jar with these arguments to its end; returns what it printed. */
    private String run(String logName, String... args) throws Exception {
        Path log = base.resolve(logName);
        Process p = startJava(log, args);
        assertTrue(p.waitFor(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS), args[0] + " hung");
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), output);
        return output;
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
