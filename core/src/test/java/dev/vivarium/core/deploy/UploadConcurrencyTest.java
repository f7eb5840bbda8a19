package dev.vivarium.core.deploy;

import static dev.vivarium.core.deploy.DeploymentTesting.module;
import static dev.vivarium.core.deploy.DeploymentTesting.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18 item 4: an upload is parsed and compiled without holding the deployments' lock, on a
 * bounded executor, and uploads past {@code deployments.maxConcurrentUploads} are refused at once.
 * The tests hold uploads "being compiled" at a gate in front of the real compiler.
 */
@Timeout(120)
class UploadConcurrencyTest {
    static final String TOKEN = "s3cret-admin-token-for-tests";
    static final Duration PROMPTLY = Duration.ofSeconds(20);

    @TempDir Path dir;

    Vivarium start(int maxConcurrentUploads, DeploymentTesting.Gate gate) {
        return Vivarium.builder(
                        VivariumOptions.builder()
                                .guestDirectory(TestGuests.root())
                                .poolSize(1)
                                .kv(KvOptions.defaults(dir.resolve("kv")))
                                .uploads(
                                        UploadOptions.builder(dir.resolve("deployments"))
                                                .adminToken(TOKEN)
                                                .maxConcurrentUploads(maxConcurrentUploads)
                                                .build())
                                .route("/static -> wat/fixtures/hello_raw.wat; id=static")
                                .build())
                .uploadExecutor(gate)
                .start();
    }

    /** An admin request through {@link Vivarium#serve}, as the adapters send it. */
    static Outcome admin(Vivarium v, String method, String pathAndQuery, byte[] body) {
        return AdminApiTest.send(v, method, pathAndQuery, TOKEN, body);
    }

    static CompletableFuture<Outcome> uploadInBackground(Vivarium v, String id, String route) {
        byte[] hello = module("wat/fixtures/hello_raw.wat");
        return CompletableFuture.supplyAsync(
                () -> admin(v, "PUT", "/_vivarium/deployments/" + id + "?route=" + route, hello));
    }

    @Test
    void listingRemovingAndExpiryGoOnWhileAnUploadIsBeingCompiled() throws Exception {
        DeploymentTesting.Gate held = new DeploymentTesting.Gate(1);
        try (Vivarium v = start(2, held)) {
            CompletableFuture<Outcome> slow = uploadInBackground(v, "slow", "/slow");
            try {
                held.awaitEntered();
                assertEquals(1, v.uploads().compiling());
                assertTimeoutPreemptively(
                        PROMPTLY,
                        () -> {
                            Outcome list = admin(v, "GET", "/_vivarium/deployments", null);
                            assertEquals(200, list.status(), text(list));
                            assertFalse(
                                    text(list).contains("\"id\":\"slow\""), "not published yet");
                            assertEquals(List.of(), v.uploads().expire());
                            assertFalse(v.uploads().remove("slow"), "nothing to remove yet");
                        },
                        "the deployments' lock is held while an upload compiles");
            } finally {
                held.open();
            }
            Outcome created = slow.get();
            assertEquals(201, created.status(), text(created));
            assertEquals("Hello, world!", text(DeploymentTesting.get(v, "h", "/slow")));
            assertEquals(0, v.uploads().compiling());
        }
    }

    @Test
    void uploadsPastTheLimitGet503WithRetryAfterAndTheSameIdTwiceGets409() throws Exception {
        DeploymentTesting.Gate held = new DeploymentTesting.Gate(1);
        try (Vivarium v = start(2, held)) {
            CompletableFuture<Outcome> first = uploadInBackground(v, "one", "/one");
            held.awaitEntered();
            Outcome again = admin(v, "PUT", "/_vivarium/deployments/one?route=/one", hello());
            assertEquals(409, again.status(), text(again));
            assertEquals(
                    "{\"error\":\"deployment 'one' is being uploaded by another request; try again"
                            + " when it is done\"}",
                    text(again));
            held.open();
            assertEquals(201, first.get().status());
        }
        DeploymentTesting.Gate one = new DeploymentTesting.Gate(1);
        try (Vivarium v = start(1, one)) {
            CompletableFuture<Outcome> first = uploadInBackground(v, "a", "/a");
            one.awaitEntered();
            Outcome busy = admin(v, "PUT", "/_vivarium/deployments/b?route=/b", hello());
            assertEquals(503, busy.status(), text(busy));
            assertEquals("1", busy.headers().first("retry-after"));
            assertEquals(
                    "{\"error\":\"already 1 uploads being compiled, the most at once"
                            + " (deployments.maxConcurrentUploads); try again in a moment\"}",
                    text(busy));
            one.open();
            assertEquals(201, first.get().status());
            Outcome later = admin(v, "PUT", "/_vivarium/deployments/b?route=/b", hello());
            assertEquals(201, later.status(), "the permit came back: " + text(later));
        }
    }

    @Test
    void theLimitIsASetting() {
        var options =
                VivariumOptions.parse(
                        java.util.Map.of(
                                "routes", "/x -> x.wasm", "deployments.maxConcurrentUploads", "3"),
                        dir,
                        dir);
        assertEquals(3, options.uploads().maxConcurrentUploads());
        var e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        dev.vivarium.core.config.ConfigurationException.class,
                        () ->
                                VivariumOptions.parse(
                                        java.util.Map.of(
                                                "routes",
                                                "/x -> x.wasm",
                                                "deployments.maxConcurrentUploads",
                                                "0"),
                                        dir,
                                        dir));
        assertTrue(e.getMessage().contains("deployments.maxConcurrentUploads"), e.getMessage());
    }

    static byte[] hello() {
        return module("wat/fixtures/hello_raw.wat");
    }
}
