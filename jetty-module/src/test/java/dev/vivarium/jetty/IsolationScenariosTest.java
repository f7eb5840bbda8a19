package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 18 item 7 over HTTP, through every adapter: a deployment at its admission limit answers 503
 * with {@code Retry-After} while another one answers.
 */
@Timeout(60)
class IsolationScenariosTest {
    @TempDir Path kvDirectory;

    static List<Adapter> adapters() {
        return List.of(Adapter.HANDLER, Adapter.FILTER, Adapter.TOMCAT_FILTER);
    }

    private Map<String, String> settings(String spin) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(
                "routes",
                "/spin -> wat/fixtures/loop_forever.wat; "
                        + spin
                        + "\n"
                        + "/hello -> wat/fixtures/hello_raw.wat");
        s.put("guestDirectory", TestGuests.root().toString());
        s.put("kv.directory", kvDirectory.toString());
        s.put("poolSize", "1");
        s.put("queueTimeout", "20s");
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adapters")
    void aFullDeploymentAnswers503WithRetryAfterAndAnotherStillAnswers(Adapter adapter)
            throws Exception {
        try (TestServer server =
                adapter.start(settings("deadline=2s; maxConcurrent=1; maxQueued=0"))) {
            CompletableFuture<HttpTester.Response> one =
                    CompletableFuture.supplyAsync(() -> get(server, "/spin"));
            CompletableFuture<HttpTester.Response> two =
                    CompletableFuture.supplyAsync(() -> get(server, "/spin"));
            // one of them holds the one place until its deadline, the other is refused at once
            HttpTester.Response refused =
                    CompletableFuture.anyOf(one, two).thenApply(r -> (HttpTester.Response) r).get();
            assertEquals(503, refused.getStatus(), refused.toString());
            assertEquals("20", refused.get("retry-after"), "the queueTimeout, in seconds");
            assertEquals(200, server.get("/hello").getStatus(), "another deployment answers");
            HttpTester.Response ran = refused == one.getNow(null) ? two.get() : one.get();
            assertEquals(504, ran.getStatus(), ran.toString());
        }
    }

    private static HttpTester.Response get(TestServer server, String path) {
        try {
            return server.get(path);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
