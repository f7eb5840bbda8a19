package dev.vivarium.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP scenarios every server adapter passes: a new adapter gets them all with one small
 * subclass that implements {@link #start}. The scenarios live in groups ({@link
 * GuestViewScenarios}, {@link GuestFaultScenarios}, {@link RoutingScenarios}, {@link
 * LimitScenarios}, {@link AdminScenarios}, {@link AssetScenarios}, {@link StreamingScenarios},
 * {@link BoundaryScenarios}), test interfaces over {@link KitContext}; this class runs them all.
 * They share one server with {@link #settings()}; those that need other settings (a limit of zero,
 * the admin API, a context path, a bad setting) start their own. After each scenario the shared
 * server must still answer.
 *
 * <pre>{@code
 * class MyServerKitTest extends AdapterScenarios {
 *     public KitServer start(Map<String, String> settings, String contextPath) throws Exception {
 *         // a server on 127.0.0.1, a free port, Vivarium with these settings in front of an
 *         // application that answers as PassThrough says, all under contextPath ("" for the root)
 *     }
 * }
 * }</pre>
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AdapterScenarios
        implements GuestViewScenarios,
                GuestFaultScenarios,
                RoutingScenarios,
                LimitScenarios,
                AdminScenarios,
                AssetScenarios,
                StreamingScenarios,
                BoundaryScenarios {
    @TempDir Path kvDirectory;

    private KitServer shared;
    private KitServer broughtGuests;

    @Override
    public Map<String, String> settings() {
        Map<String, String> s = new LinkedHashMap<>();
        List<String> routes =
                new ArrayList<>(
                        List.of(
                                "/hello -> wat/fixtures/hello_raw.wat",
                                "/trap -> wat/fixtures/trap_div.wat",
                                "/panic -> wat/fixtures/panic.wat",
                                "/slow -> wat/fixtures/loop_forever.wat; deadline=300ms",
                                "/memory-hog -> wat/fixtures/grow_hold.wat; deadline=2s",
                                "/grow -> wat/fixtures/grow_memory.wat",
                                "/bad-pointer -> wat/fixtures/bad_pointer.wat",
                                "/isolation -> wat/fixtures/isolation.wat",
                                "/ip -> wat/fixtures/client_ip.wat",
                                "/echo/* -> wat/fixtures/echo_request.wat",
                                "/echo-path/* -> wat/fixtures/echo_path.wat",
                                "/server-header -> wat/fixtures/server_header.wat",
                                "/status/* -> wat/fixtures/set_status.wat",
                                "/octets -> wat/fixtures/header_octets.wat",
                                "*.example.com/site/* -> wat/fixtures/hello_raw.wat",
                                "*.guests.test/* -> wat/fixtures/hello_raw.wat"));
        // Rust guests from guests/dist, when they have been built
        if (Files.exists(RUST_ECHO)) {
            routes.add("/rust/echo -> dist/echo.wasm");
        }
        if (Files.exists(RUST_PANIC_WASM)) {
            routes.add("/rust/panic -> dist/panic.wasm");
        }
        s.put("routes", String.join("\n", routes));
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kvDirectory.toString());
        s.put("maxRequestBodySize", MAX_BODY + "");
        s.put("poolSize", "2");
        // 32 pages for all instances together, 24 for one
        s.put("maxTotalMemory", "2MB");
        s.put("maxMemoryPages", "24");
        return s;
    }

    @Override
    public final KitServer server() throws Exception {
        if (shared == null) {
            shared = start(settings(), "");
        }
        return shared;
    }

    @Override
    public final KitServer broughtGuests() throws Exception {
        if (broughtGuests == null) {
            Map<String, String> s = new LinkedHashMap<>();
            s.put(
                    "routes",
                    "/c/* -> dist/hello_libc.wasm\n/noinit -> wat/fixtures/no_init_mm_echo.wat");
            s.put("guestDirectory", TestGuests.root().toString());
            s.put("kv.directory", kvDirectory.resolve("brought").toString());
            s.put("poolSize", "1");
            broughtGuests = start(s, "");
        }
        return broughtGuests;
    }

    @Override
    public final Path kvDirectory() {
        return kvDirectory;
    }

    @AfterEach
    void theServerKeepsServing() throws Exception {
        if (shared != null) {
            HttpTester.Response hello = shared.get("/hello");
            assertEquals(200, hello.getStatus(), hello.toString());
            assertEquals("Hello, world!", hello.getContent());
        }
    }

    @AfterAll
    void stopTheServers() throws Exception {
        try {
            if (shared != null) {
                shared.close();
            }
        } finally {
            if (broughtGuests != null) {
                broughtGuests.close();
            }
        }
    }
}
