package dev.vivarium.testkit;

import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.eclipse.jetty.http.HttpTester;

/**
 * What every group of kit scenarios ({@link GuestViewScenarios}, {@link GuestFaultScenarios},
 * {@link RoutingScenarios}, {@link LimitScenarios}, {@link AdminScenarios}, ...) needs from the
 * adapter under test; {@link AdapterScenarios} implements it and runs them all. A new group is an
 * interface extending this one with default {@code @Test} methods, added to the {@code implements}
 * list of {@link AdapterScenarios}.
 */
public interface KitContext {
    /** The shared server's {@code maxRequestBodySize}. */
    int MAX_BODY = 1024;

    /** The admin token of the servers {@link #startWithAdmin} starts. */
    String TOKEN = "adapter-test-token-0123456789";

    /** The Rust echo guest, when guests/dist has been built. */
    Path RUST_ECHO = TestGuests.dist().resolve("echo.wasm");

    /** The Rust panic guest, when guests/dist has been built. */
    Path RUST_PANIC_WASM = TestGuests.dist().resolve("panic.wasm");

    /**
     * Starts a server on 127.0.0.1 (on a free port) with Vivarium configured by {@code settings}
     * (the shared names: filter init-params, handler settings) in front of an application that
     * answers as {@link PassThrough} says, everything below {@code contextPath}.
     *
     * @param contextPath empty for the root, else e.g. {@code /shop}
     * @throws Exception when the server does not start, with Vivarium's message among the causes or
     *     suppressed exceptions; a server that failed to start has released what it held
     */
    KitServer start(Map<String, String> settings, String contextPath) throws Exception;

    /**
     * The shared server's settings: a route per scenario, a 1 KiB body limit ({@link #MAX_BODY}), 2
     * MB of memory. A scenario that needs other settings starts a server of its own with a copy.
     */
    Map<String, String> settings();

    /** The shared server with {@link #settings()}, started on first use. */
    KitServer server() throws Exception;

    /**
     * Guests Terrarium users bring, on a server of their own, started on first use: a C guest built
     * with wasi-libc and plain flags at {@code /c/*} ({@code hello_libc}: printf, exit, string
     * functions), and a WAT guest without an allocator at {@code /noinit} (the engine-level cases
     * are in core's {@code LibcGuestsTest} and {@code EngineFaultsTest}).
     */
    KitServer broughtGuests() throws Exception;

    /** A directory of this test class's own, for KV stores and uploads. */
    Path kvDirectory();

    /** Whether the server speaks HTTP/2 in clear text (h2c, upgraded from HTTP/1.1). */
    default boolean speaksH2c() {
        return true;
    }

    /**
     * Whether the server passes raw (not percent-encoded) UTF-8 bytes in a request target on to the
     * application; Tomcat refuses them itself (400, before any filter).
     */
    default boolean passesRawUtf8InTheTarget() {
        return true;
    }

    /**
     * Whether the server passes {@code " < >} in a query on to the application (Jetty does, Tomcat
     * with {@code relaxedQueryChars}); the JDK's server refuses them itself (400).
     */
    default boolean passesQuotesAndAngleBracketsInTheQuery() {
        return true;
    }

    /**
     * A server of its own with the admin API on (token {@link #TOKEN}), {@code /hello} routed, a 16
     * KB body limit, under {@code context}.
     */
    default KitServer startWithAdmin(Path kv, String context) throws Exception {
        return start(adminSettings(kv), context);
    }

    /** The settings of {@link #startWithAdmin}, for a scenario that adds its own. */
    default Map<String, String> adminSettings(Path kv) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("routes", "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kv.toString());
        s.put("admin.token", TOKEN);
        s.put("poolSize", "1");
        s.put("maxRequestBodySize", "16KB");
        return s;
    }

    /** An admin API request, with {@code Authorization: Bearer token} unless it is null. */
    static HttpTester.Request admin(String method, String uri, String token) {
        HttpTester.Request r = KitServer.request(method, uri);
        if (token != null) {
            r.setHeader("Authorization", "Bearer " + token);
        }
        return r;
    }

    /** A GET of {@code path} on another thread, for scenarios that need requests at once. */
    static CompletableFuture<HttpTester.Response> getAsync(
            KitServer server, String path, ExecutorService clients) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return server.get(path);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                clients);
    }

    /** Every message among an exception's causes and suppressed exceptions. */
    static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
            for (Throwable s : c.getSuppressed()) {
                sb.append(messages(s));
            }
        }
        return sb.toString();
    }
}
