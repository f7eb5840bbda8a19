package dev.vivarium.sample;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The sample site as the README runs it, {@code java -jar target/vivarium-sample.jar}, in its own
 * process on a free port of 127.0.0.1, with HTTP helpers for the tests.
 */
final class SampleProcess implements AutoCloseable {
    static final String ADMIN_TOKEN = "sample-site-test-token-0123";
    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    final int port;

    private SampleProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts the site with its KV stores and uploads in {@code kvDirectory}; waits until up. */
    static SampleProcess start(Path kvDirectory) throws Exception {
        Path jar = Path.of("target/vivarium-sample.jar");
        assertTrue(Files.exists(jar), "run after 'package': " + jar.toAbsolutePath());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> command =
                new ArrayList<>(
                        List.of(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Djetty.http.port=" + port,
                                "-Djava.io.tmpdir=" + Files.createTempDirectory("sample-tmp"),
                                "-Dvivarium.kv.directory=" + kvDirectory,
                                "-Dvivarium.admin.token=" + ADMIN_TOKEN,
                                "-jar",
                                jar.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
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
                process.destroyForcibly();
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
        return new SampleProcess(process, port);
    }

    HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)));
    }

    HttpResponse<String> upload(String id, String query, byte[] module) throws Exception {
        return send(
                HttpRequest.newBuilder(uri("/_vivarium/deployments/" + id + "?" + query))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(module)));
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return CLIENT.send(
                b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Stops the site as a terminal's Ctrl-C would (shutdown hooks run). */
    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
