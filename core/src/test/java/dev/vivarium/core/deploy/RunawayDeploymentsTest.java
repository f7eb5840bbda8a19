package dev.vivarium.core.deploy;

import static dev.vivarium.core.deploy.DeploymentTesting.await;
import static dev.vivarium.core.deploy.DeploymentTesting.module;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.MutableClock;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 item 6: a runaway guest does not outlive its deployment (removal, replacement and expiry
 * interrupt its running requests), and an upload cannot give itself a longer deadline than {@code
 * deployments.maxDeadline}. The site's deadline is a minute here, so a request that ends with 503
 * was stopped by its deployment going away, not by its deadline (504).
 */
@Timeout(120)
class RunawayDeploymentsTest {
    @TempDir Path dir;
    final MutableClock clock = new MutableClock();

    Vivarium start(Duration siteDeadline, Consumer<UploadOptions.Builder> uploads) {
        UploadOptions.Builder u = UploadOptions.builder(dir.resolve("deployments"));
        uploads.accept(u);
        return Vivarium.builder(
                        VivariumOptions.builder()
                                .guestDirectory(TestGuests.root())
                                .poolSize(1)
                                .deadline(siteDeadline)
                                .kv(KvOptions.defaults(dir.resolve("kv")))
                                .uploads(u.build())
                                .route("/static -> wat/fixtures/hello_raw.wat; id=static")
                                .build())
                .clock(clock)
                .start();
    }

    /** Starts a request to {@code path} and returns once the guest is running it. */
    static CompletableFuture<Outcome> running(Vivarium v, String path) throws Exception {
        Route route = v.route("localhost", path);
        CompletableFuture<Outcome> o =
                CompletableFuture.supplyAsync(
                        () ->
                                v.handle(
                                        route,
                                        new GuestRequest(
                                                "GET",
                                                path,
                                                "localhost",
                                                new Headers(),
                                                null,
                                                "127.0.0.1")));
        await(() -> route.deployment().running().count() == 1);
        return o;
    }

    static void assertStopped(String why, CompletableFuture<Outcome> request) throws Exception {
        Outcome o = request.get();
        assertEquals(503, o.status(), o::toString);
        assertEquals(
                "deployment loop was " + why + " while the request ran in loop.wat", o.message());
    }

    @Test
    void removingADeploymentInterruptsItsRunningRequests() throws Exception {
        try (Vivarium v = start(Duration.ofMinutes(1), u -> {})) {
            v.uploads().deploy("loop", "/loop", null, null, List.of(), loop());
            CompletableFuture<Outcome> a = running(v, "/loop");
            assertTrue(v.uploads().remove("loop"));
            assertStopped("removed", a);
            assertNull(v.route("localhost", "/loop"));
        }
    }

    @Test
    void anExpiringDeploymentInterruptsItsRunningRequests() throws Exception {
        try (Vivarium v = start(Duration.ofMinutes(1), u -> {})) {
            v.uploads().deploy("loop", "/loop", Duration.ofMinutes(1), null, List.of(), loop());
            CompletableFuture<Outcome> a = running(v, "/loop");
            clock.advance(Duration.ofMinutes(1));
            assertEquals(List.of("loop"), v.uploads().expire());
            assertStopped("expired", a);
        }
    }

    @Test
    void replacingADeploymentInterruptsTheOldVersionsRequestsAfterABriefGrace() throws Exception {
        try (Vivarium v = start(Duration.ofMinutes(1), u -> {})) {
            v.uploads().deploy("loop", "/loop", null, null, List.of(), loop());
            CompletableFuture<Outcome> a = running(v, "/loop");
            v.uploads().deploy("loop", "/loop", null, null, List.of(), loop());
            assertStopped("replaced", a);
            CompletableFuture<Outcome> b = running(v, "/loop");
            assertTrue(v.uploads().remove("loop"));
            assertStopped("removed", b);
        }
    }

    @Test
    void anUploadsDeadlineIsCappedByTheSitesDeadline() throws Exception {
        try (Vivarium v = start(Duration.ofSeconds(10), u -> {})) {
            UploadException e =
                    assertThrows(
                            UploadException.class,
                            () ->
                                    v.uploads()
                                            .deploy(
                                                    "loop",
                                                    "/loop",
                                                    null,
                                                    Duration.ofDays(106751),
                                                    List.of(),
                                                    loop()));
            assertEquals(400, e.status());
            assertEquals(
                    "deadline 9223286400000ms is not between 1 ms and deployments.maxDeadline"
                            + " (10000ms, the site's deadline)",
                    e.getMessage());
            v.uploads().deploy("loop", "/loop", null, Duration.ofSeconds(10), List.of(), loop());
            assertEquals(Duration.ofSeconds(10), v.route("localhost", "/loop").deadline());
        }
    }

    @Test
    void deploymentsMaxDeadlineCapsUploadsAndIsTheirDefault() throws Exception {
        try (Vivarium v =
                start(Duration.ofSeconds(10), u -> u.maxDeadline(Duration.ofSeconds(2)))) {
            UploadException e =
                    assertThrows(
                            UploadException.class,
                            () ->
                                    v.uploads()
                                            .deploy(
                                                    "loop",
                                                    "/loop",
                                                    null,
                                                    Duration.ofSeconds(3),
                                                    List.of(),
                                                    loop()));
            assertEquals(400, e.status());
            assertEquals(
                    "deadline 3000ms is not between 1 ms and deployments.maxDeadline (2000ms)",
                    e.getMessage());
            v.uploads().deploy("loop", "/loop", null, null, List.of(), loop());
            assertEquals(Duration.ofSeconds(2), v.route("localhost", "/loop").deadline());
            assertEquals(
                    Duration.ofSeconds(10),
                    v.route("localhost", "/static").deadline(),
                    "configured routes keep the site's");
        }
    }

    @Test
    void deploymentsMaxDeadlineIsASetting() {
        VivariumOptions o =
                VivariumOptions.parse(
                        Map.of("routes", "/x -> x.wasm", "deployments.maxDeadline", "3s"),
                        dir,
                        dir);
        assertEquals(Duration.ofSeconds(3), o.uploads().maxDeadline());
        assertNull(
                VivariumOptions.parse(Map.of("routes", "/x -> x.wasm"), dir, dir)
                        .uploads()
                        .maxDeadline(),
                "unset: the site's deadline");
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                VivariumOptions.parse(
                                        Map.of(
                                                "routes",
                                                "/x -> x.wasm",
                                                "deployments.maxDeadline",
                                                "0s"),
                                        dir,
                                        dir));
        assertTrue(e.getMessage().contains("deployments.maxDeadline"), e.getMessage());
    }

    static byte[] loop() {
        return module("wat/fixtures/loop_forever.wat");
    }
}
