package dev.vivarium.core.deploy;

import static dev.vivarium.core.deploy.DeploymentTesting.await;
import static dev.vivarium.core.deploy.DeploymentTesting.get;
import static dev.vivarium.core.deploy.DeploymentTesting.module;
import static dev.vivarium.core.deploy.DeploymentTesting.text;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's repository seam: uploads are saved and deleted through it, and a change reported
 * by the repository (another node, an operator) is picked up by reading it again. The second
 * repository here is a map, as a shared store would be; the first is the real files.
 */
@Timeout(120)
class DeploymentRepositoryTest {
    @TempDir Path dir;

    /** A repository another party can change, telling its watchers to look again. */
    static final class SharedRepository implements DeploymentRepository {
        final Map<String, DeploymentRecord> records = new ConcurrentHashMap<>();
        final List<Runnable> watchers = new CopyOnWriteArrayList<>();

        @Override
        public void save(DeploymentRecord d) {
            records.put(d.id(), d);
        }

        @Override
        public void delete(String id) {
            records.remove(id);
        }

        @Override
        public List<DeploymentRecord> list() {
            return records.values().stream()
                    .sorted(java.util.Comparator.comparing(DeploymentRecord::id))
                    .toList();
        }

        @Override
        public AutoCloseable watch(Runnable onChange) {
            watchers.add(onChange);
            return () -> watchers.remove(onChange);
        }

        @Override
        public String describe() {
            return "a shared map";
        }

        /** Another node changed something. */
        void changedElsewhere() {
            watchers.forEach(Runnable::run);
        }
    }

    Vivarium start(DeploymentRepository repository) {
        return Vivarium.builder(
                        VivariumOptions.builder()
                                .guestDirectory(TestGuests.root())
                                .poolSize(1)
                                .kv(KvOptions.defaults(dir.resolve("kv")))
                                .uploads(UploadOptions.builder(dir.resolve("deployments")).build())
                                .route("/static -> wat/fixtures/hello_raw.wat; id=static")
                                .build())
                .deploymentRepository(repository)
                .start();
    }

    static DeploymentRecord record(String id, String match, String fixture) {
        Instant now = Instant.now();
        return new DeploymentRecord(
                id,
                match + " -> " + id + ".wat; id=" + id,
                id + ".wat",
                module("wat/fixtures/" + fixture),
                now,
                now.plus(Duration.ofHours(1)));
    }

    @Test
    void aDeploymentChangedElsewhereIsPublishedReplacedAndRetiredOnNotice() throws Exception {
        SharedRepository shared = new SharedRepository();
        shared.save(record("kept", "/kept", "hello_raw.wat"));
        try (Vivarium v = start(shared)) {
            assertEquals("Hello, world!", text(get(v, "h", "/kept")), "restored at start");

            shared.save(record("other", "/other/*", "echo_path.wat"));
            shared.changedElsewhere();
            await(() -> v.route("h", "/other/x") != null);
            assertEquals("GET /other/x", text(get(v, "h", "/other/x")));

            shared.save(record("kept", "/kept", "echo_path.wat"));
            shared.changedElsewhere();
            await(() -> text(get(v, "h", "/kept")).equals("GET /kept"));

            shared.delete("other");
            shared.changedElsewhere();
            await(() -> v.route("h", "/other/x") == null);
            assertEquals(List.of("kept"), v.uploads().list().stream().map(d -> d.id()).toList());
            assertEquals("Hello, world!", text(get(v, "h", "/static")), "configured: untouched");
        }
    }

    /**
     * A change whose restore fails because the KV backend is unreachable for a moment (a shared
     * database coming back, its pool's connections still dead) is tried again without another
     * notice: the change was the repository's last, so no notice would come.
     */
    @Test
    void aRestoreThatFailedBecauseKvWasUnreachableIsTriedAgainWithoutANotice() throws Exception {
        String space = "repository-retry-" + System.nanoTime();
        dev.vivarium.core.kv.memory.MemoryKvBackend.Space kv =
                dev.vivarium.core.kv.memory.MemoryKvBackend.space(space);
        SharedRepository shared = new SharedRepository();
        try (Vivarium v =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(TestGuests.root())
                                        .poolSize(1)
                                        .kv(
                                                KvOptions.builder(dir.resolve("kv"))
                                                        .backend(
                                                                dev.vivarium.core.kv.memory
                                                                        .MemoryKvBackend.NAME)
                                                        .backendSetting(
                                                                dev.vivarium.core.kv.memory
                                                                        .MemoryKvBackend.SPACE,
                                                                space)
                                                        .build())
                                        .uploads(
                                                UploadOptions.builder(dir.resolve("deployments"))
                                                        .build())
                                        .route("/static -> wat/fixtures/hello_raw.wat; id=static")
                                        .build())
                        .deploymentRepository(shared)
                        .start()) {
            kv.reachable(false);
            shared.save(record("count", "/count", "kv_counter.wat"));
            shared.changedElsewhere(); // fails: the store cannot be opened
            Thread.sleep(200);
            assertNull(v.route("h", "/count"), "not restored while KV is unreachable");
            kv.reachable(true); // and no notice comes
            await(() -> v.route("h", "/count") != null);
            assertEquals(200, get(v, "h", "/count").status());
        }
    }

    @Test
    void uploadsAreSavedAndRemovalsDeletedThroughTheRepository() throws Exception {
        SharedRepository shared = new SharedRepository();
        byte[] hello = module("wat/fixtures/hello_raw.wat");
        try (Vivarium v = start(shared)) {
            v.uploads().deploy("up", "/up", null, null, List.of(), hello);
            DeploymentRecord kept = shared.records.get("up");
            assertEquals("/up -> up.wat", kept.route());
            assertArrayEquals(hello, kept.module());
            assertEquals(v.uploads().get("up").expiresAt(), kept.expiresAt());
            assertTrue(v.uploads().remove("up"));
            assertEquals(Map.of(), shared.records);
        }
    }

    @Test
    void theFileRepositoryKeepsAModuleAndItsPropertiesAndSkipsWhatItCannotRead() throws Exception {
        Path files = dir.resolve("files");
        FileDeploymentRepository repo = new FileDeploymentRepository(files);
        assertEquals(List.of(), repo.list(), "no directory yet: nothing kept");
        DeploymentRecord r = record("one", "/one", "hello_raw.wat");
        repo.save(r);
        assertTrue(Files.exists(files.resolve("one.wat")));
        assertTrue(Files.exists(files.resolve("one.deployment")));
        assertEquals(List.of(r), repo.list());
        assertEquals(r.version(), repo.list().get(0).version());

        Files.writeString(
                files.resolve("evil.deployment"),
                "route=/e -> evil.wat\nmodule=../one.wat\nexpiresAt=2999-01-01T00:00:00Z\n",
                UTF_8);
        assertEquals(List.of("one"), repo.list().stream().map(DeploymentRecord::id).toList());

        repo.delete("one");
        assertNull(repo.list().stream().filter(x -> x.id().equals("one")).findAny().orElse(null));
        assertTrue(Files.exists(files.resolve("evil.deployment")), "what it cannot read stays");
    }
}
