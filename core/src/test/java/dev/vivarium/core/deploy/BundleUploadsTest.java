package dev.vivarium.core.deploy;

import static dev.vivarium.core.testing.TestBundles.Entry.directory;
import static dev.vivarium.core.testing.TestBundles.Entry.file;
import static dev.vivarium.core.testing.TestBundles.Entry.hardlink;
import static dev.vivarium.core.testing.TestBundles.Entry.symlink;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.testing.MemoryExchange;
import dev.vivarium.core.testing.TestBundles;
import dev.vivarium.core.testing.TestBundles.Entry;
import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bundles through the admin API: each hostile one is a 400 naming what is wrong and leaves nothing
 * on disk; a good one keeps its assets beside the deployment, comes back after a restart, and goes
 * with the deployment when it is removed or replaced. (Serving the assets over HTTP: the adapter
 * kit's {@code AssetScenarios}.)
 */
@Timeout(120)
class BundleUploadsTest {
    static final String TOKEN = AdminApiTest.TOKEN;

    @TempDir Path kvDir;

    static final byte[] HELLO = DeploymentTesting.module("wat/fixtures/hello_raw.wat");

    Vivarium start(Map<String, String> extra) {
        Map<String, String> s = new HashMap<>(extra);
        s.putIfAbsent("routes", "localhost/static -> wat/fixtures/hello_raw.wat; id=static");
        s.put("poolSize", "1");
        s.put("admin.token", TOKEN);
        s.put("maxRequestBodySize", "4MB");
        s.put("deployments.bundle.maxEntries", "20");
        s.put("deployments.bundle.maxEntrySize", "1MB");
        s.put("deployments.bundle.maxTotalSize", "2MB");
        return Vivarium.builder(VivariumOptions.parse(s, TestGuests.root(), kvDir)).start();
    }

    static Outcome put(Vivarium v, String id, String query, byte[] body) {
        return AdminApiTest.send(v, "PUT", "/_vivarium/deployments/" + id + query, TOKEN, body);
    }

    static String text(Outcome o) {
        return new String(o.body(), UTF_8);
    }

    static List<Entry> site(Entry... more) {
        List<Entry> e = new ArrayList<>();
        e.add(file("vivarium.toml", "name = \"site\"\nroute = \"/site/*\"\nttl = \"10m\"\n"));
        e.add(file("target/site.wat", HELLO));
        e.add(directory("assets"));
        e.add(file("assets/index.html", "<h1>site</h1>"));
        e.addAll(List.of(more));
        return e;
    }

    static Stream<Arguments> hostile() {
        byte[] zeros = new byte[3 * 1024 * 1024];
        byte[] almostMb = new byte[700 * 1024];
        List<Entry> many = site();
        for (int i = 0; i < 20; i++) {
            many.add(file("assets/f" + i + ".txt", "x"));
        }
        Function<List<Entry>, byte[]> zip = TestBundles::zip;
        Function<List<Entry>, byte[]> tar = TestBundles::tarGz;
        return Stream.of(
                Arguments.of(
                        "zip bomb: one entry",
                        zip.apply(site(file("assets/zeros.bin", zeros))),
                        "entry 'assets/zeros.bin' is larger than 1048576 bytes uncompressed"
                                + " (deployments.bundle.maxEntrySize)"),
                Arguments.of(
                        "zip bomb: in total",
                        tar.apply(
                                site(
                                        file("assets/a.bin", almostMb),
                                        file("assets/b.bin", almostMb),
                                        file("assets/c.bin", almostMb))),
                        "larger than 2097152 bytes uncompressed (deployments.bundle.maxTotalSize)"),
                Arguments.of(
                        "too many entries",
                        zip.apply(many),
                        "more than 20 entries (deployments.bundle.maxEntries)"),
                Arguments.of(
                        "path traversal in a zip",
                        zip.apply(site(file("assets/../../evil.txt", "x"))),
                        "entry 'assets/../../evil.txt' has '..' in its path (path traversal)"),
                Arguments.of(
                        "path traversal in a tar",
                        tar.apply(site(file("../evil.txt", "x"))),
                        "entry '../evil.txt' has '..' in its path (path traversal)"),
                Arguments.of(
                        "an absolute path",
                        tar.apply(site(file("/etc/cron.d/evil", "x"))),
                        "entry '/etc/cron.d/evil' has an absolute path"),
                Arguments.of(
                        "a symbolic link in a tar",
                        tar.apply(site(symlink("assets/passwd", "/etc/passwd"))),
                        "entry 'assets/passwd' is a symbolic link; links are refused"),
                Arguments.of(
                        "a hard link in a tar",
                        tar.apply(site(hardlink("assets/copy.html", "assets/index.html"))),
                        "entry 'assets/copy.html' is a hard link; links are refused"),
                Arguments.of(
                        "a duplicate entry in a tar",
                        tar.apply(site(file("assets/index.html", "<h1>again</h1>"))),
                        "entry 'assets/index.html' appears twice"),
                Arguments.of(
                        "a duplicate entry in a zip",
                        TestBundles.zipWithDuplicate(
                                "assets/a.css", "a".getBytes(UTF_8), "b".getBytes(UTF_8), site()),
                        "entry 'assets/a.css' appears twice"),
                Arguments.of(
                        "no module",
                        zip.apply(
                                List.of(
                                        file("vivarium.toml", "route = \"/site/*\""),
                                        file("assets/index.html", "x"))),
                        "no module: a bundle holds one .wasm or .wat file"),
                Arguments.of(
                        "a second module",
                        zip.apply(site(file("other.wasm", HELLO))),
                        "a second module 'other.wasm' besides 'target/site.wat'"),
                Arguments.of(
                        "an unknown manifest key",
                        zip.apply(
                                List.of(
                                        file("vivarium.toml", "route = \"/site/*\"\nroutez = 1\n"),
                                        file("site.wat", HELLO))),
                        "vivarium.toml line 2: unknown key 'routez'; valid: name, lang, route,"
                                + " routes, hostname, ttl, kv"),
                Arguments.of(
                        "an entry outside assets/",
                        zip.apply(site(file("src/main.rs", "fn main() {}"))),
                        "unexpected entry 'src/main.rs'"),
                Arguments.of(
                        "kv = false with a module that uses KV",
                        zip.apply(
                                List.of(
                                        file("vivarium.toml", "route = \"/site/*\"\nkv = false\n"),
                                        file(
                                                "kv.wat",
                                                DeploymentTesting.module(
                                                        "wat/fixtures/kv_counter.wat")))),
                        "vivarium.toml says kv = false, but the module imports the key-value"
                                + " hostcalls"),
                Arguments.of(
                        "a file where a directory must be",
                        zip.apply(site(file("assets/css", "x"), file("assets/css/a.css", "a"))),
                        "entry 'assets/css/a.css' needs a directory where the bundle has a file"),
                Arguments.of(
                        "gzip that is not a tar",
                        gzipped("just some text, no tar headers at all".repeat(20)),
                        "bundle: not a readable archive: not a tar archive"),
                Arguments.of(
                        "a truncated tar.gz",
                        java.util.Arrays.copyOf(tar.apply(site()), 40),
                        "bundle: not a readable archive"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void aHostileBundleIsA400NamingWhatIsWrongAndLeavesNothing(
            String what, byte[] bundle, String expected) throws IOException {
        try (Vivarium v = start(Map.of())) {
            Outcome o = put(v, "site", "", bundle);

            assertEquals(400, o.status(), text(o));
            assertTrue(text(o).contains(expected), what + ": " + text(o));
            assertTrue(text(o).startsWith("{\"error\":\"bundle: "), text(o));
            assertNull(v.uploads().get("site"), "nothing deployed");
            Path bundles = v.options().uploads().directory().resolve(".bundles");
            try (Stream<Path> left = Files.exists(bundles) ? Files.walk(bundles) : Stream.empty()) {
                assertTrue(
                        left.noneMatch(Files::isRegularFile), "no file of it left in " + bundles);
            }
            assertFalse(Files.exists(kvDir.resolve("evil.txt")));
        }
    }

    @Test
    void aBundleTakesItsRouteAndTtlFromItsManifestAndKeepsItsAssetsOnDisk() throws IOException {
        try (Vivarium v = start(Map.of())) {
            Outcome o = put(v, "site", "", TestBundles.zip(site(file("assets/a.css", "a{}"))));

            assertEquals(201, o.status(), text(o));
            assertTrue(text(o).contains("\"route\":\"/site/* -> site.wat\""), text(o));
            assertTrue(text(o).contains("\"assets\":2"), text(o));
            assertTrue(text(o).contains("\"url\":\"http://any.host/site/\""), text(o));
            DeploymentInfo d = v.uploads().get("site");
            assertEquals(
                    java.time.Duration.ofMinutes(10),
                    java.time.Duration.between(d.deployedAt(), d.expiresAt()));
            Path kept = onlyBundle(v, "site");
            assertEquals("a{}", Files.readString(kept.resolve("assets/a.css")));
            assertEquals(200, get(v, "any.host", "/site/a.css").status());
            // the guest still answers what no asset names
            assertEquals("Hello, world!", DeploymentTesting.text(get(v, "any.host", "/site/x")));
        }
    }

    /**
     * Archives written by GNU tar, in its own format (long names as {@code L} entries, a {@code ./}
     * entry) and as POSIX pax ({@code x} headers), unpack like the ones written here.
     */
    @ParameterizedTest(name = "tar --format={0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"gnu", "pax"})
    void aBundleWrittenByGnuTarIsUnpacked(String format, @TempDir Path project) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Files.isExecutable(Path.of("/usr/bin/tar")), "GNU tar is not installed");
        String deep = "assets/" + "very-long-directory-name/".repeat(6) + "file.txt";
        Files.createDirectories(project.resolve(deep).getParent());
        Files.writeString(project.resolve(deep), "deep");
        Files.writeString(project.resolve("assets/index.html"), "<h1>tar</h1>");
        Files.writeString(project.resolve("vivarium.toml"), "route = \"/tar/*\"\n");
        Files.write(project.resolve("tar.wat"), HELLO);
        Path archive = project.resolveSibling(project.getFileName() + ".tar.gz");
        Process p =
                new ProcessBuilder(
                                "/usr/bin/tar",
                                "--format=" + format,
                                "-czf",
                                archive.toString(),
                                "-C",
                                project.toString(),
                                ".")
                        .redirectErrorStream(true)
                        .start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes(), UTF_8));
        try (Vivarium v = start(Map.of())) {
            Outcome o = put(v, "tar", "", Files.readAllBytes(archive));

            assertEquals(201, o.status(), text(o));
            assertEquals("<h1>tar</h1>", new String(get(v, "any.host", "/tar/").body(), UTF_8));
            String path = "/tar/" + deep.substring("assets/".length());
            assertEquals("deep", new String(get(v, "any.host", path).body(), UTF_8));
        }
    }

    @Test
    void theRouteParameterOverridesTheManifestsAndATarGzWorksLikeAZip() {
        try (Vivarium v = start(Map.of())) {
            Outcome o = put(v, "site", "?route=/other/*", TestBundles.tarGz(site()));

            assertEquals(201, o.status(), text(o));
            assertTrue(text(o).contains("\"route\":\"/other/* -> site.wat\""), text(o));
            assertEquals(200, get(v, "any.host", "/other/").status());
        }
    }

    @Test
    void assetsComeBackAfterARestartAndGoWithTheDeployment() throws IOException {
        Path kept;
        try (Vivarium v = start(Map.of())) {
            assertEquals(201, put(v, "site", "", TestBundles.zip(site())).status());
            kept = onlyBundle(v, "site");
        }
        try (Vivarium v = start(Map.of())) {
            Outcome index = get(v, "any.host", "/site/");
            assertEquals(200, index.status(), "restored with its assets");
            assertEquals("<h1>site</h1>", new String(index.body(), UTF_8));

            // a replacement keeps only its own version
            Outcome replaced =
                    put(
                            v,
                            "site",
                            "",
                            TestBundles.zip(
                                    List.of(
                                            file("vivarium.toml", "route = \"/site/*\""),
                                            file("site.wat", HELLO),
                                            file("assets/index.html", "<h1>two</h1>"))));
            assertEquals(200, replaced.status(), text(replaced));
            assertFalse(Files.exists(kept), "the old version's assets are deleted");
            Path second = onlyBundle(v, "site");
            assertEquals("<h1>two</h1>", new String(get(v, "any.host", "/site/").body(), UTF_8));

            Outcome removed =
                    AdminApiTest.send(v, "DELETE", "/_vivarium/deployments/site", TOKEN, null);
            assertEquals(204, removed.status());
            assertFalse(Files.exists(second), "removed with the deployment");
            assertNull(v.route("any.host", "/site/"));
        }
    }

    @Test
    void aBundleWithoutAssetsKeepsNothingButItsModule() throws IOException {
        try (Vivarium v = start(Map.of())) {
            Outcome o =
                    put(
                            v,
                            "bare",
                            "",
                            TestBundles.tarGz(
                                    List.of(
                                            file(
                                                    "vivarium.toml",
                                                    "hostname = \"bare.example.test\""),
                                            file("bare.wat", HELLO))));
            assertEquals(201, o.status(), text(o));
            assertTrue(text(o).contains("\"assets\":0"), text(o));
            assertTrue(text(o).contains("\"url\":\"http://bare.example.test/\""), text(o));
            assertEquals(
                    "Hello, world!",
                    DeploymentTesting.text(DeploymentTesting.get(v, "bare.example.test", "/x")));
        }
    }

    @Test
    void deploymentsDomainGivesEveryUploadItsOwnHostName() {
        // a configured route on every host: the domain's host names are the uploads' all the same
        try (Vivarium v =
                start(
                        Map.of(
                                "deployments.domain",
                                "Edge.Example.Test",
                                "routes",
                                "/static -> wat/fixtures/hello_raw.wat; id=static"))) {
            Outcome o = put(v, "demo", "?route=/demo/*", HELLO);
            assertEquals(201, o.status(), text(o));
            assertTrue(
                    text(o).contains(
                                    "\"urls\":[\"http://any.host/demo/\",\"http://demo.edge.example.test/\"]"),
                    text(o));
            assertEquals(
                    "Hello, world!",
                    DeploymentTesting.text(
                            DeploymentTesting.get(v, "demo.edge.example.test", "/")));
            assertNull(v.route("other.edge.example.test", "/"), "only its own host name");

            // without a route, the host name alone
            Outcome hostOnly = put(v, "solo", "", HELLO);
            assertEquals(201, hostOnly.status(), text(hostOnly));
            assertTrue(
                    text(hostOnly).contains("\"url\":\"http://solo.edge.example.test/\""),
                    text(hostOnly));

            Outcome list = AdminApiTest.send(v, "GET", "/_vivarium/deployments", TOKEN, null);
            assertTrue(text(list).contains("http://demo.edge.example.test/"), text(list));
        }
    }

    @Test
    void withoutADomainAnUploadWithoutARouteIsStillRefused() {
        try (Vivarium v = start(Map.of())) {
            Outcome o = put(v, "demo", "", HELLO);
            assertEquals(400, o.status(), text(o));
            assertTrue(text(o).contains("the route's MATCH is missing"), text(o));
        }
    }

    @Test
    void aBadDomainFailsTheStart() {
        var e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        RuntimeException.class,
                        () -> start(Map.of("deployments.domain", "https://edge.example.test")));
        assertTrue(
                e.getMessage()
                        .contains(
                                "deployments.domain: 'https://edge.example.test' is not a DNS name"),
                e.getMessage());
    }

    private static Outcome get(Vivarium v, String host, String path) {
        MemoryExchange x = new MemoryExchange("GET", path, host, new Headers(), null, "127.0.0.1");
        try {
            assertTrue(v.serve(x), path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return x.outcome();
    }

    static byte[] gzipped(String text) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (var gz = new java.util.zip.GZIPOutputStream(out)) {
            gz.write(text.getBytes(UTF_8));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Test
    void headAnswersTheHeadersWithoutTheFile() throws IOException {
        try (Vivarium v = start(Map.of())) {
            assertEquals(201, put(v, "site", "", TestBundles.zip(site())).status());
            MemoryExchange x =
                    new MemoryExchange(
                            "HEAD", "/site/", "any.host", new Headers(), null, "1.2.3.4");
            assertTrue(v.serve(x));
            Outcome o = x.outcome();
            assertEquals(200, o.status());
            assertEquals("text/html; charset=utf-8", o.headers().first("content-type"));
            assertNotNull(o.headers().first("etag"));
            assertEquals(0, o.body().length);
        }
    }

    private static Path onlyBundle(Vivarium v, String id) throws IOException {
        Path dir = v.options().uploads().directory().resolve(".bundles").resolve(id);
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.toList();
            assertEquals(1, all.size(), all.toString());
            assertNotNull(all.get(0));
            return all.get(0);
        }
    }
}
