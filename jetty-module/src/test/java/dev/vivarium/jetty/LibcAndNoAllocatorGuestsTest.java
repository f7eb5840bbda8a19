package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guests Terrarium users bring, through the Jetty handler and the servlet filter: a C guest built
 * with wasi-libc and plain flags ({@code hello_libc}: printf, exit, string functions), and a WAT
 * guest without an allocator that reads headers and a body (the engine-level cases are in core's
 * {@code LibcGuestsTest} and {@code EngineFaultsTest}).
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LibcAndNoAllocatorGuestsTest {
    @TempDir Path kvDirectory;

    private final Map<Adapter, TestServer> servers = new ConcurrentHashMap<>();

    static List<Adapter> adapters() {
        return List.of(Adapter.HANDLER, Adapter.FILTER);
    }

    private TestServer server(Adapter adapter) throws Exception {
        TestServer server = servers.get(adapter);
        if (server == null) {
            server =
                    adapter.start(
                            Map.of(
                                    "routes",
                                    "/c/* -> dist/hello_libc.wasm\n"
                                            + "/noinit -> wat/fixtures/no_init_mm_echo.wat",
                                    "guestDirectory",
                                    TestGuests.root().toString(),
                                    "kv.directory",
                                    kvDirectory.toString(),
                                    "poolSize",
                                    "1"));
            servers.put(adapter, server);
        }
        return server;
    }

    @AfterAll
    void stopServers() throws Exception {
        for (TestServer server : servers.values()) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void aCGuestWithLibcAnswersAndItsExitStatusCounts(Adapter adapter) throws Exception {
        HttpTester.Response ok = server(adapter).get("/c/hi");
        assertEquals(200, ok.getStatus(), ok.toString());
        assertEquals("Hello from libc! path=/c/hi len=5 upper=/C/HI", ok.getContent());

        HttpTester.Response exit0 = server(adapter).get("/c/exit0");
        assertEquals(200, exit0.getStatus(), exit0.toString());
        assertEquals("exiting with 0", exit0.getContent());

        HttpTester.Response exit3 = server(adapter).get("/c/exit3");
        assertEquals(500, exit3.getStatus(), exit3.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void aWatGuestWithoutAnAllocatorReadsHeadersAndTheBody(Adapter adapter) throws Exception {
        HttpTester.Request request = TestServer.request("POST", "/noinit");
        request.add("x-echo", "one");
        request.setContent("the body");

        HttpTester.Response response = server(adapter).send(request);

        assertEquals(200, response.getStatus(), response.toString());
        assertEquals("the body", response.getContent());
        assertEquals(List.of("one"), response.getValuesList("x-echo"));
    }
}
