package dev.vivarium.cli;

import dev.vivarium.jetty.VivariumHandler;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** Runs the vivarium command in-process, and the pieces the tests share. */
final class Cli {
    static final String TOKEN = "cli-test-token-0123456789abcdef";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** What one run printed and returned. */
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out:\n" + out + "--- err:\n" + err;
        }
    }

    private Cli() {}

    static Result run(Path dir, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> a = new ArrayList<>(List.of("-C", dir.toString()));
        a.addAll(List.of(args));
        int exit =
                Main.commandLine()
                        .setOut(new PrintWriter(out, true))
                        .setErr(new PrintWriter(err, true))
                        .execute(a.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }

    /** A real Jetty on 127.0.0.1 with the handler and its admin API, no configured route. */
    static Server server(Path kvDirectory) throws Exception {
        return server(kvDirectory, Map.of());
    }

    /** As {@link #server(Path)}, with more settings. */
    static Server server(Path kvDirectory, Map<String, String> more) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        VivariumHandler handler = new VivariumHandler();
        Map<String, String> settings = new java.util.HashMap<>(more);
        settings.put("admin.token", TOKEN);
        settings.put("kv.directory", kvDirectory.toString());
        settings.put("guestDirectory", kvDirectory.toString());
        handler.setSettings(settings);
        server.setHandler(handler);
        server.start();
        return server;
    }

    static String url(Server server) {
        return "http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static boolean installed(String... files) {
        for (String f : files) {
            if (!Files.exists(Path.of(f))) {
                return false;
            }
        }
        return true;
    }

    static boolean clang() {
        return installed("/usr/bin/clang-14", "/usr/lib/wasm32-wasi/libc.a");
    }

    static boolean rust() {
        return installed(
                "/usr/bin/cargo",
                "/usr/bin/rustc",
                "/usr/lib/rustlib/wasm32-unknown-unknown",
                "/usr/share/cargo/registry");
    }
}
