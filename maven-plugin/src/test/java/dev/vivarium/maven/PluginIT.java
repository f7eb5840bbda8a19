package dev.vivarium.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.jetty.VivariumHandler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin as a guest author uses it: {@code mvn} run as a process on the sample project {@code
 * src/it/hello-wat} (a WAT guest: no toolchain needed), against a real Jetty with the Vivarium
 * handler and its admin API on 127.0.0.1. The plugin and the Vivarium artifacts come from the local
 * repository invoker:install filled under target/; everything else from ~/.m2 read as a file
 * repository (a mirror of every repository), so nothing is fetched from the network and nothing is
 * written to ~/.m2.
 */
@Timeout(300)
class PluginIT {
    private static final String TOKEN = "plugin-it-token-0123456789abcdef";
    private static final Path SAMPLE = Path.of("src/it/hello-wat");
    private static final Path WORK = Path.of("target/it");
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir static Path kv;
    private static Server server;
    private static String base;
    private static Path settings;

    /** What one mvn run printed, and its exit code. */
    record Result(int exit, String out) {
        @Override
        public String toString() {
            return "exit " + exit + "\n" + out;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        VivariumHandler handler = new VivariumHandler();
        handler.setSettings(
                Map.of(
                        "admin.token", TOKEN,
                        "kv.directory", kv.toString(),
                        "guestDirectory", kv.toString()));
        server.setHandler(handler);
        server.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();
        Files.createDirectories(WORK);
        // the token as a guest author keeps it: a <server> in settings.xml
        settings = WORK.resolve("settings.xml").toAbsolutePath();
        Files.writeString(
                settings,
                "<settings>\n"
                        + "  <servers>\n"
                        + "    <server><id>vivarium</id><password>"
                        + TOKEN
                        + "</password></server>\n"
                        + "  </servers>\n"
                        + "  <mirrors>\n"
                        + "    <mirror><id>release-cache</id><mirrorOf>*</mirrorOf>"
                        + "<url>file://"
                        + System.getProperty("vivarium.releaseCache")
                        + "</url></mirror>\n"
                        + "  </mirrors>\n"
                        + "</settings>\n");
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
    }

    @Test
    void buildAndDeployServeTheGuestAtThePrintedUrlAndUndeployRemovesIt(TestInfo t)
            throws Exception {
        Path project = copy(t);
        Result r = mvn(project, "vivarium:build", "vivarium:deploy", "-Dvivarium.url=" + base);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("vivarium: built target/hello-maven.wasm"), r.toString());
        String url = base + "/hello-maven/";
        assertTrue(r.out().contains("vivarium: " + url + "  (answers 200)"), r.toString());
        assertTrue(r.out().contains("is up to date"), "deploy reuses the build: " + r);
        HttpResponse<String> served = get(url);
        assertEquals(200, served.statusCode());
        assertEquals("Hello from hello-maven!\n", served.body());

        Result gone = mvn(project, "vivarium:undeploy", "-Dvivarium.url=" + base);
        assertEquals(0, gone.exit(), gone.toString());
        assertTrue(gone.out().contains("vivarium: removed hello-maven"), gone.toString());
        assertEquals(404, get(url).statusCode());
    }

    /**
     * Every bad input in one {@code mvn -fae} run (one JVM start instead of five): a reactor of
     * copies of the sample, each deploying with one thing wrong.
     */
    @Test
    void badInputFailsWithAMessageThatSaysWhatToDo(TestInfo t) throws Exception {
        String closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = "http://127.0.0.1:" + s.getLocalPort();
        }
        Path reactor = WORK.resolve(t.getTestMethod().orElseThrow().getName());
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("wrong-token", "<url>" + base + "</url><token>not-the-token</token>");
        cases.put("refused", "<url>" + base + "</url><ttl>99y</ttl>");
        cases.put("unreachable", "<url>" + closed + "</url>");
        cases.put("no-server", "");
        cases.put("other-server-id", "<url>" + base + "</url><serverId>edge</serverId>");
        cases.put("no-manifest", "<url>" + base + "</url>");
        StringBuilder modules = new StringBuilder();
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path module = copy(reactor.resolve(c.getKey()));
            Path pom = module.resolve("pom.xml");
            Files.writeString(
                    pom,
                    Files.readString(pom)
                            .replace(
                                    "<artifactId>hello-maven</artifactId>",
                                    "<artifactId>" + c.getKey() + "</artifactId>")
                            .replace(
                                    "</version>\n      </plugin>",
                                    "</version>\n        <configuration>"
                                            + c.getValue()
                                            + "</configuration>\n      </plugin>"));
            modules.append("<module>").append(c.getKey()).append("</module>");
        }
        Files.delete(reactor.resolve("no-manifest/vivarium.toml"));
        Files.writeString(
                reactor.resolve("pom.xml"),
                "<project><modelVersion>4.0.0</modelVersion><groupId>dev.vivarium.it</groupId>"
                        + "<artifactId>errors</artifactId><version>1.0</version>"
                        + "<packaging>pom</packaging><modules>"
                        + modules
                        + "</modules></project>\n");

        Result r = mvn(reactor, "-fae", "vivarium:deploy");
        assertNotEquals(0, r.exit(), r.toString());
        assertFailure(
                r, "wrong-token", "vivarium: bad or missing token: " + base + " answered 401");
        assertFailure(r, "wrong-token", "settings.xml"); // where the token goes
        assertFailure(r, "refused", "refused by " + base + " (HTTP 400): ");
        assertFailure(r, "refused", "invalid ttl '99y'"); // the server's own message
        assertFailure(r, "unreachable", "vivarium: cannot reach " + closed);
        assertFailure(r, "unreachable", "is the server running? check -Dvivarium.url=URL");
        assertFailure(r, "no-server", "vivarium: no server given: set -Dvivarium.url=URL");
        assertFailure(
                r,
                "other-server-id",
                "vivarium.serverId is 'edge', but settings.xml has no <server> with that id");
        assertFailure(
                r,
                "no-manifest",
                "vivarium: no vivarium.toml in "
                        + reactor.resolve("no-manifest").toAbsolutePath().normalize());
    }

    /** Maven's summary line for the failure of {@code module} holds {@code message}. */
    private static void assertFailure(Result r, String module, String message) {
        assertTrue(
                r.out()
                        .lines()
                        .anyMatch(
                                l ->
                                        l.startsWith("[ERROR] Failed to execute goal")
                                                && l.contains(" on project " + module + ": ")
                                                && l.contains(message)),
                module + ": " + message + "\n" + r);
    }

    @Test
    void runServesTheGuestAndASavedChange(TestInfo t) throws Exception {
        Path project = copy(t);
        Process p = start(project, "vivarium:run", "-Dvivarium.port=0").start();
        StringBuffer out = new StringBuffer();
        Pattern serving = Pattern.compile("vivarium: serving hello-maven at (http://\\S+)");
        try {
            BufferedReader in =
                    new BufferedReader(
                            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String url = null;
            String line;
            while (url == null && (line = in.readLine()) != null) {
                out.append(line).append('\n');
                Matcher m = serving.matcher(line);
                if (m.find()) {
                    url = m.group(1);
                }
            }
            assertTrue(url != null, "mvn vivarium:run ended without serving:\n" + out);
            Thread drain = new Thread(() -> drain(in, out));
            drain.setDaemon(true);
            drain.start();
            assertEquals("Hello from hello-maven!\n", get(url).body());

            Path src = project.resolve("src/main.wat");
            // same length: the body's length in the source stays right
            Files.writeString(src, Files.readString(src).replace("Hello from", "Howdy from"));
            String body;
            do {
                Thread.sleep(50);
                body = get(url).body();
            } while (!body.equals("Howdy from hello-maven!\n"));
            // the log line follows the swap; the class's timeout bounds the wait
            while (!out.toString().contains("reloaded hello-maven in ")) {
                Thread.sleep(20);
            }
        } finally {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static void drain(BufferedReader in, StringBuffer out) {
        try {
            String line;
            while ((line = in.readLine()) != null) {
                out.append(line).append('\n');
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /** A fresh copy of the sample project for one test, with the plugin's version written in. */
    private static Path copy(TestInfo t) throws IOException {
        return copy(WORK.resolve(t.getTestMethod().orElseThrow().getName()));
    }

    private static Path copy(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted((a, b) -> b.compareTo(a)).toList()) {
                    Files.delete(f);
                }
            }
        }
        try (Stream<Path> s = Files.walk(SAMPLE)) {
            for (Path f : s.toList()) {
                Path to = dir.resolve(SAMPLE.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.writeString(
                            to,
                            Files.readString(f)
                                    .replace(
                                            "@vivarium.version@",
                                            System.getProperty("vivarium.version")));
                }
            }
        }
        return dir;
    }

    private static ProcessBuilder start(Path project, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("maven.home"), "bin", "mvn").toString());
        cmd.addAll(
                List.of(
                        "-B",
                        "-Dstyle.color=never",
                        "-s",
                        settings.toString(),
                        "-Dmaven.repo.local="
                                + Path.of(System.getProperty("vivarium.it.repository"))
                                        .toAbsolutePath()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(project.toFile());
        pb.redirectErrorStream(true);
        pb.environment().remove("VIVARIUM_SERVER");
        pb.environment().remove("VIVARIUM_TOKEN");
        // a short-lived JVM: start-up matters more than peak speed
        pb.environment().put("MAVEN_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
        return pb;
    }

    private static Result mvn(Path project, String... args) throws Exception {
        Process p = start(project, args).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("mvn did not finish:\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
