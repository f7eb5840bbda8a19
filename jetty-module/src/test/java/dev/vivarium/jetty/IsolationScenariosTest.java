package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 18 items 3 and 7 over HTTP, through every adapter: a deployment at its admission limit
 * answers 503 with {@code Retry-After} while another one answers, and (where the adapter can tell)
 * a request whose client left while it waited never runs its guest.
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
                adapter.start(settings("deadline=3s; maxConcurrent=1; maxQueued=0"))) {
            HttpTester.Response refused = null;
            for (int attempt = 0; attempt < 5 && refused == null; attempt++) {
                CompletableFuture<HttpTester.Response> runaway =
                        CompletableFuture.supplyAsync(() -> get(server, "/spin"));
                // the runaway usually holds the one place by now; if not, this one took it
                Thread.sleep(300);
                HttpTester.Response second = server.get("/spin");
                if (second.getStatus() == 503) {
                    refused = second;
                    assertEquals(200, server.get("/hello").getStatus(), "another deployment");
                }
                assertEquals(504, runaway.get().getStatus());
            }
            assertTrue(refused != null, "never refused");
            assertEquals("1", refused.get("retry-after"), refused.toString());
        }
    }

    private static HttpTester.Response get(TestServer server, String path) {
        try {
            return server.get(path);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Only the Jetty handler can see the connection; the servlet API has no such call. */
    @Test
    void aRequestWhoseClientLeftWhileItWaitedNeverRunsItsGuest() throws Exception {
        AtomicReference<VivariumHandler> handler = new AtomicReference<>();
        try (TestServer server =
                TestServer.start(
                        (srv, s) -> {
                            VivariumHandler h = new VivariumHandler(TestApplication.handler());
                            h.setSettings(s);
                            srv.setHandler(h);
                            handler.set(h);
                        },
                        settings("deadline=1s; maxConcurrent=1; maxQueued=4"))) {
            CompletableFuture<HttpTester.Response> runaway =
                    CompletableFuture.supplyAsync(() -> get(server, "/spin"));
            MeterRegistry meters = handler.get().getVivarium().meterRegistry();
            var admission =
                    handler.get()
                            .getVivarium()
                            .route("localhost", "/spin")
                            .deployment()
                            .admission();
            while (admission.running() < 1) {
                Thread.sleep(5);
            }
            try (Socket gone = new Socket()) {
                gone.connect(new InetSocketAddress("127.0.0.1", server.port()));
                OutputStream out = gone.getOutputStream();
                out.write(
                        "GET /spin HTTP/1.1\r\nHost: localhost\r\n\r\n"
                                .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                while (admission.waiting() < 1) {
                    Thread.sleep(5);
                }
            }
            assertEquals(504, runaway.get().getStatus());
            while (count(meters, "client_gone") + count(meters, "deadline") < 2) {
                Thread.sleep(5);
            }
            assertEquals(1, count(meters, "client_gone"), "the one whose client left");
            assertEquals(1, count(meters, "deadline"), "only the runaway ran");
        }
    }

    private static double count(MeterRegistry meters, String outcome) {
        return meters.get("vivarium.requests").tag("outcome", outcome).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }
}
