package dev.vivarium.core.deploy;

import static dev.vivarium.core.deploy.DeploymentTesting.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.IsolationOptions;
import dev.vivarium.core.engine.Admission;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, atomic swap: replacing an uploaded deployment (an upload with the same id) while it
 * serves fails no request. A request routed to the old version that has not started when the
 * replacement is published (it waits for the old version's admission) runs on the new version; only
 * requests the old version is already running are interrupted, after {@link
 * Retirement#REPLACE_GRACE}, which {@code RunawayDeploymentsTest} covers.
 */
@Timeout(120)
class ReplaceUnderLoadTest {
    static final String TOKEN = "s3cret-admin-token-for-tests";
    @TempDir Path dir;

    Vivarium start() {
        return Vivarium.builder(
                        VivariumOptions.builder()
                                .guestDirectory(TestGuests.root())
                                .poolSize(2)
                                // waiting for the old version outlasts the replacement's grace
                                .isolation(
                                        IsolationOptions.builder()
                                                .queueTimeout(Duration.ofSeconds(30))
                                                .build())
                                .kv(KvOptions.defaults(dir.resolve("kv")))
                                .uploads(
                                        UploadOptions.builder(dir.resolve("deployments"))
                                                .adminToken(TOKEN)
                                                .build())
                                .route("/static -> wat/fixtures/hello_raw.wat; id=static")
                                .build())
                .start();
    }

    /** The hello fixture answering {@code text} (13 characters, as long as "Hello, world!"). */
    static byte[] saying(String text) throws Exception {
        assertEquals(13, text.length(), text);
        String wat = Files.readString(TestGuests.root().resolve("wat/fixtures/hello_raw.wat"));
        return wat.replace("Hello, world!", text).getBytes(UTF_8);
    }

    static Outcome upload(Vivarium v, byte[] module, String params) {
        return AdminApiTest.send(
                v, "PUT", "/_vivarium/deployments/swap?route=/swap" + params, TOKEN, module);
    }

    static Outcome get(Vivarium v, Route route) {
        return v.handle(
                route, new GuestRequest("GET", "/swap", "localhost", new Headers(), null, "::1"));
    }

    static String text(Outcome o) {
        return o.isOk() ? new String(o.body(), UTF_8) : o.toString();
    }

    /**
     * Requests routed to the old version wait for its only running place; the replacement is
     * published and its grace passes before they get in. They are answered by the new version.
     */
    @Test
    void requestsWaitingForTheOldVersionWhenItIsReplacedAreServedByTheNewOne() throws Exception {
        try (Vivarium v = start()) {
            assertEquals(201, upload(v, saying("old version!!"), "&maxConcurrent=1").status());
            Route old = v.route("localhost", "/swap");
            Admission admission = old.deployment().admission();
            assertNull(admission.enter(), "the test holds the old version's only place");
            List<CompletableFuture<Outcome>> waiting = new ArrayList<>();
            ExecutorService clients = Executors.newFixedThreadPool(6);
            try {
                for (int i = 0; i < 6; i++) {
                    waiting.add(CompletableFuture.supplyAsync(() -> get(v, old), clients));
                }
                await(() -> admission.waiting() == 6);
                Outcome replaced = upload(v, saying("new version!!"), "&maxConcurrent=1");
                assertEquals(200, replaced.status(), AdminApiTest.text(replaced));
                // past the grace after which the old version's running requests are interrupted
                Thread.sleep(Retirement.REPLACE_GRACE.toMillis() + 500);
            } finally {
                admission.leave();
                clients.shutdown();
            }
            for (CompletableFuture<Outcome> w : waiting) {
                assertEquals("new version!!", text(w.get()), "a request routed before the swap");
            }
            assertEquals("new version!!", text(get(v, v.route("localhost", "/swap"))));
        }
    }

    /**
     * Eight clients keep requesting while the deployment is replaced 30 times, alternating two
     * versions; each version's queue is a single running place, so requests wait for the version
     * they were routed to when it is replaced. Every request is answered 200 by one of the two.
     */
    @Test
    void replacingADeploymentThirtyTimesUnderLoadFailsNoRequest() throws Exception {
        try (Vivarium v = start()) {
            byte[] a = saying("version one!!");
            byte[] b = saying("version two!!");
            assertEquals(201, upload(v, a, "&maxConcurrent=1&maxQueued=64").status());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            Map<String, Integer> bodies = new ConcurrentHashMap<>();
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Thread t =
                        new Thread(
                                () -> {
                                    while (!stop.get()) {
                                        Route r = v.route("localhost", "/swap");
                                        Outcome o = get(v, r);
                                        sent.incrementAndGet();
                                        if (o.status() != 200) {
                                            failures.add(o.toString());
                                        } else {
                                            bodies.merge(text(o), 1, Integer::sum);
                                        }
                                    }
                                });
                t.start();
                threads.add(t);
            }
            try {
                await(() -> sent.get() > 200);
                for (int i = 1; i <= 30; i++) {
                    Outcome o = upload(v, i % 2 == 1 ? b : a, "&maxConcurrent=1&maxQueued=64");
                    assertEquals(200, o.status(), AdminApiTest.text(o));
                }
                int at = sent.get();
                await(() -> sent.get() > at + 200);
            } finally {
                stop.set(true);
                for (Thread t : threads) {
                    t.join();
                }
            }
            assertEquals(List.of(), failures, "requests that failed during the swaps");
            assertTrue(
                    bodies.containsKey("version one!!") && bodies.containsKey("version two!!"),
                    "" + bodies);
        }
    }
}
