package dev.vivarium.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Smoke test of the README's run command: starts {@code java -jar target/vivarium-sample.jar} as
 * its own process and checks the site's pages and every example guest through HTTP.
 */
@Timeout(120)
class SampleSiteIT {
    private static Process process;
    private static int port;
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void launch() throws Exception {
        Path jar = Path.of("target/vivarium-sample.jar");
        assertTrue(Files.exists(jar), "run after 'package': " + jar.toAbsolutePath());
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path kv = Files.createTempDirectory("sample-kv");
        process =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-XX:-DontCompileHugeMethods",
                                "-Djetty.http.port=" + port,
                                "-Djava.io.tmpdir=" + kv,
                                "-Dvivarium.admin.token=" + ADMIN_TOKEN,
                                "-jar",
                                jar.toString())
                        .redirectErrorStream(true)
                        .start();
        BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        StringBuilder log = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            log.append(line).append('\n');
            if (line.contains("Vivarium sample site on http://")) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("site did not start in 60s:\n" + log);
            }
        }
        if (line == null) {
            throw new AssertionError("launcher exited:\n" + log);
        }
        Thread drain =
                new Thread(
                        () -> {
                            try {
                                out.lines().forEach(l -> {});
                            } catch (java.io.UncheckedIOException e) {
                                // the launcher was stopped: its output is closed
                            }
                        });
        drain.setDaemon(true);
        drain.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static final String ADMIN_TOKEN = "sample-site-test-token-0123";

    private static HttpResponse<String> get(String path) throws Exception {
        HttpRequest req =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(30))
                        .build();
        return CLIENT.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aDeploymentUploadedThroughTheAdminApiAnswersOnItsRoute() throws Exception {
        byte[] wasm = Files.readAllBytes(Path.of("../guests/dist/hello_c.wasm"));
        HttpRequest put =
                HttpRequest.newBuilder(
                                URI.create(
                                        "http://127.0.0.1:"
                                                + port
                                                + "/_vivarium/deployments/try?route=/try/*&ttl=10m"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(wasm))
                        .timeout(Duration.ofSeconds(30))
                        .build();
        HttpResponse<String> created = CLIENT.send(put, HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created.body());
        HttpResponse<String> r = get("/try/anything");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().startsWith("Hello"), r.body());
        assertEquals(401, get("/_vivarium/deployments").statusCode(), "no token, no admin");
    }

    @Test
    void helloIsAnsweredByTheRustGuest() throws Exception {
        HttpResponse<String> r = get("/hello");
        assertEquals(200, r.statusCode());
        assertEquals("Hello, world!", r.body());
    }

    @Test
    void theSitesOwnPagesAreUntouched() throws Exception {
        assertTrue(get("/").body().contains("Vivarium sample site"));
        assertEquals("Hello, world!", get("/plain").body());
    }

    @Test
    void everyExampleAnswers() throws Exception {
        assertTrue(get("/echo/a/b?x=1").body().contains("/echo/a/b?x=1"));
        String first = get("/counter").body().trim();
        String second = get("/counter").body().trim();
        assertEquals(
                Long.parseLong(first) + 1,
                Long.parseLong(second.replaceAll("\\D", "")),
                first + " then " + second);
        HttpResponse<String> fetched = get("/fetch?url=http://127.0.0.1:" + port + "/api/fast");
        assertEquals(200, fetched.statusCode(), fetched.body());
        assertEquals("fast", fetched.body());
        HttpResponse<String> fan =
                get(
                        "/fanout?url=http://127.0.0.1:"
                                + port
                                + "/api/slow?ms=400&url=http://127.0.0.1:"
                                + port
                                + "/api/fast");
        assertEquals(200, fan.statusCode(), fan.body());
        assertTrue(fan.body().indexOf("/api/fast") < fan.body().indexOf("/api/slow"), fan.body());
        assertEquals(200, get("/time").statusCode());
        assertEquals(200, get("/c/hello").statusCode());
        assertEquals("Hello, world!", get("/wat/hello").body());
    }

    @Test
    void aPanickingGuestGives500AndTheSiteGoesOn() throws Exception {
        HttpResponse<String> r = get("/panic");
        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("boom: this guest panics on purpose"), r.body());
        assertEquals("Hello, world!", get("/hello").body());
    }
}
