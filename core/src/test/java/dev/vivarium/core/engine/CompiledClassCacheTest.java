package dev.vivarium.core.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.testing.TestEngine;
import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The disk cache of compiled guest classes: a hit serves real guests exactly as a fresh compile
 * does; a damaged, foreign or other-version entry is refused and compiled again; a directory that
 * cannot be used only warns; writers sharing a directory never expose half a file.
 */
@Timeout(120)
class CompiledClassCacheTest {
    /** Real guests of different toolchains, with requests whose answers are deterministic. */
    private static final String[] ROUTES = {
        "/hello -> dist/hello.wasm",
        "/echo/* -> dist/echo.wasm",
        "/fixture_response -> dist/fixture_response.wasm",
        "/c/hello -> dist/hello_c.wasm",
        "/wat/hello -> wat/hello.wat"
    };

    private static final String[] TARGETS = {
        "/hello", "/echo/some/path?q=1", "/fixture_response", "/c/hello", "/wat/hello"
    };

    @TempDir Path dir;

    @AfterEach
    void backToTheDefault() {
        CompiledClassCache.install(
                CompiledClassCache.open(
                        CompiledClassCache.defaultDirectory(),
                        CompiledClassCache.DEFAULT_MAX_BYTES));
    }

    @Test
    void aCacheHitAnswersByteForByteAsAFreshCompile() throws IOException {
        List<String> fresh = answers(dir);
        CompiledClassCache cache = CompiledClassCache.installed();
        assertEquals(dir.toAbsolutePath().normalize(), cache.directory());
        assertEquals(0, cache.hits(), cache.toString());
        assertEquals(
                ROUTES.length + 1,
                entries(dir).size(),
                "one entry per module, and one for the WAT guest's binary");

        List<String> cached = answers(dir);
        assertTrue(CompiledClassCache.installed() == cache, "the same directory keeps its cache");
        assertEquals(
                ROUTES.length + 1, cache.hits(), "every module (and the WAT binary) came from it");
        assertEquals(0, cache.rejected());
        assertEquals(fresh, cached);
    }

    @ParameterizedTest
    @ValueSource(strings = {"truncated", "flippedByte", "empty", "foreign", "otherChicory"})
    void aDamagedForeignOrOldEntryIsRefusedAndCompiledAgain(String damage) throws Exception {
        Path hello = TestGuests.dist().resolve("hello.wasm");
        Path echo = TestGuests.dist().resolve("echo.wasm");
        CompiledClassCache cache = CompiledClassCache.open(dir, 1L << 30);
        CompiledClassCache.install(cache);
        GuestLoader.load(hello, 256);
        GuestLoader.load(echo, 256);
        Path helloEntry = entryOf(cache, hello);
        byte[] good = Files.readAllBytes(helloEntry);
        switch (damage) {
            case "truncated" ->
                    Files.write(helloEntry, java.util.Arrays.copyOf(good, good.length / 2));
            case "flippedByte" -> {
                byte[] bad = good.clone();
                bad[bad.length - 100] ^= 1;
                Files.write(helloEntry, bad);
            }
            case "empty" -> Files.write(helloEntry, new byte[0]);
            // another module's intact entry under this module's name
            case "foreign" ->
                    Files.copy(
                            entryOf(cache, echo),
                            helloEntry,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            case "otherChicory" -> {
                // intact and self-consistent, but written by another Chicory
                String text = new String(good, StandardCharsets.ISO_8859_1);
                Files.write(
                        helloEntry,
                        text.replace(
                                        "chicory=" + CompiledClassCache.CHICORY_VERSION,
                                        "chicory=0.0.1/0.0.1")
                                .getBytes(StandardCharsets.ISO_8859_1));
            }
            default -> throw new AssertionError(damage);
        }

        GuestModule again = GuestLoader.load(hello, 256);
        assertEquals(1, cache.rejected(), damage);
        assertEquals(0, cache.hits(), damage);
        // compiled and written again (a jar's timestamps make it differ from the first)
        String sha = CompiledClassCache.sha256Hex(Files.readAllBytes(hello));
        assertNotNull(
                CompiledClassCache.open(dir, 1L << 30)
                        .entry(sha, GuestLoader.codeVersion())
                        .get("ignored"),
                "a valid entry again");
        GuestLoader.load(hello, 256);
        assertEquals(1, cache.hits(), "the rewritten entry is used");
        assertEquals("hello.wasm", again.name());

        // and the guest from the cache still answers as it should
        List<String> expected = answers(Files.createTempDirectory(dir, "fresh"));
        assertEquals(expected, answers(dir));
    }

    @Test
    void aWatGuestConvertedOnceIsNotConvertedAgainButAMistakeIsReportedEachTime() throws Exception {
        CompiledClassCache cache = CompiledClassCache.open(dir, 1L << 30);
        CompiledClassCache.install(cache);
        byte[] text = Files.readAllBytes(TestGuests.root().resolve("wat/hello.wat"));
        long before = WatText.CONVERSIONS.get();
        GuestModule first = GuestLoader.load("hello.wat", text, 256);
        assertEquals(before + 1, WatText.CONVERSIONS.get());
        GuestModule again = GuestLoader.load("hello.wat", text, 256);
        assertEquals(before + 1, WatText.CONVERSIONS.get(), "the binary came from the cache");
        assertEquals(first.size(), again.size());

        // other text (one more comment) is another entry
        byte[] other = (new String(text, StandardCharsets.UTF_8) + "\n;; x\n").getBytes(UTF_8);
        GuestLoader.load("hello.wat", other, 256);
        assertEquals(before + 2, WatText.CONVERSIONS.get());

        byte[] wrong = "(module (func (export \"run\") (i32.bogus)))".getBytes(UTF_8);
        for (int i = 0; i < 2; i++) {
            GuestLoadException e =
                    assertThrows(
                            GuestLoadException.class,
                            () -> GuestLoader.load("bad.wat", wrong, 256));
            assertTrue(e.getMessage().contains("bad.wat:1:"), e.getMessage());
        }
        assertEquals(before + 4, WatText.CONVERSIONS.get(), "text that failed is not cached");
    }

    /**
     * A split guest's hit compiles nothing and splits nothing: the split binary is stored with its
     * classes and the hit's module is that binary, function for function.
     */
    @Test
    void aHitOfASplitGuestUsesTheSplitBinaryStoredWithItsClasses() throws Exception {
        Path hello = TestGuests.dist().resolve("hello.wasm");
        CompiledClassCache cache = CompiledClassCache.open(dir, 1L << 30);
        CompiledClassCache.install(cache);
        byte[] original = Files.readAllBytes(hello);
        int functions =
                com.dylibso.chicory.wasm.Parser.parse(original).functionSection().functionCount();

        GuestModule fresh = GuestLoader.load(hello, 256);
        int split = fresh.module().functionSection().functionCount();
        assertTrue(split > functions, "hello.wasm has a function the splitter moves pieces of");
        var entry = cache.entry(CompiledClassCache.sha256Hex(original), GuestLoader.codeVersion());
        assertNotNull(entry.get("x"));
        assertNotNull(entry.binary(), "the split binary is stored with the classes");
        assertEquals(
                split,
                com.dylibso.chicory.wasm.Parser.parse(entry.binary())
                        .functionSection()
                        .functionCount());

        long hits = cache.hits();
        GuestModule hit = GuestLoader.load(hello, 256);
        assertEquals(hits + 1, cache.hits());
        assertEquals(split, hit.module().functionSection().functionCount());
        assertEquals(answers(Files.createTempDirectory(dir, "fresh")), answers(dir));
    }

    /** An entry intact on disk (its hash matches) whose classes still do not load here. */
    @ParameterizedTest
    @ValueSource(strings = {"notAJar", "brokenClasses"})
    void anIntactEntryWhoseClassesDoNotLoadIsCompiledAgain(String kind) throws Exception {
        Path hello = TestGuests.dist().resolve("hello.wasm");
        CompiledClassCache cache = CompiledClassCache.open(dir, 1L << 30);
        CompiledClassCache.install(cache);
        GuestLoader.load(hello, 256);
        String sha = CompiledClassCache.sha256Hex(Files.readAllBytes(hello));
        byte[] jar = cache.entry(sha, GuestLoader.codeVersion()).get("x");
        byte[] bad =
                kind.equals("notAJar")
                        ? "not a jar".getBytes(StandardCharsets.US_ASCII)
                        : halveClasses(jar);
        cache.entry(sha, GuestLoader.codeVersion()).putIfAbsent("x", bad);

        long rejected = cache.rejected();
        GuestLoader.load(hello, 256);
        assertEquals(rejected + 1, cache.rejected(), kind);
        assertNotNull(cache.entry(sha, GuestLoader.codeVersion()).get("x"));
        List<String> expected = answers(Files.createTempDirectory(dir, "fresh"));
        assertEquals(expected, answers(dir));
    }

    /** The same jar with every class file cut in half. */
    private static byte[] halveClasses(byte[] jar) throws IOException {
        var out = new java.io.ByteArrayOutputStream();
        try (var in = new java.util.jar.JarInputStream(new java.io.ByteArrayInputStream(jar));
                var w = new java.util.jar.JarOutputStream(out)) {
            for (java.util.jar.JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                byte[] b = in.readAllBytes();
                w.putNextEntry(new java.util.jar.JarEntry(e.getName()));
                w.write(
                        e.getName().endsWith(".class")
                                ? java.util.Arrays.copyOf(b, b.length / 2)
                                : b);
                w.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Test
    void aDirectoryThatCannotBeWrittenWarnsAndGuestsStillLoad() throws IOException {
        Path readOnly;
        if ("root".equals(System.getProperty("user.name"))) {
            readOnly = Path.of("/proc"); // root may write any directory but this one
        } else {
            readOnly = Files.createDirectory(dir.resolve("ro"));
            Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
        }
        List<String> expected = answers(Files.createDirectory(dir.resolve("ok")));
        assertEquals(expected, answers(readOnly));
        CompiledClassCache cache = CompiledClassCache.installed();
        assertEquals(ROUTES.length + 1, cache.writeFailures(), "and the WAT binary: " + cache);
        assertEquals(0, cache.hits());
    }

    @Test
    void aDirectoryThatCannotBeCreatedWarnsAndGuestsStillLoad() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        List<String> expected = answers(Files.createDirectory(dir.resolve("ok")));
        assertEquals(expected, answers(file.resolve("cache")));
        assertFalse(CompiledClassCache.installed().enabled());
    }

    @Test
    void aDirectoryOthersMayWriteIsNotUsed() throws Exception {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        CompiledClassCache cache = CompiledClassCache.open(shared, 1L << 30);
        assertFalse(cache.enabled(), cache.toString());
        assertTrue(cache.toString().contains("others may write it"), cache.toString());
        CompiledClassCache.install(cache);
        GuestLoader.load(TestGuests.dist().resolve("hello_c.wasm"), 256);
        assertEquals(List.of(), entries(shared));
    }

    @Test
    void aCreatedDirectoryIsPrivate() throws IOException {
        Path created = dir.resolve("a/b");
        assertTrue(CompiledClassCache.open(created, 1L << 30).enabled());
        assertEquals(
                "rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(created)));
    }

    @Test
    void anotherCodeVersionIsAnotherEntry() {
        CompiledClassCache cache = CompiledClassCache.open(dir, 1L << 30);
        String sha = CompiledClassCache.sha256Hex(new byte[] {1, 2, 3});
        var v1 = cache.entry(sha, GuestLoader.codeVersion());
        var v2 = cache.entry(sha, GuestLoader.codeVersion() + "+splitter");
        assertNotEquals(v1.file(), v2.file());
        v1.putIfAbsent("ignored", new byte[] {42});
        assertArrayEquals(new byte[] {42}, cache.entry(sha, GuestLoader.codeVersion()).get("x"));
        assertNull(v2.get("x"));
        // an entry of one version copied over another's name is foreign
        try {
            Files.copy(v1.file(), v2.file());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertNull(cache.entry(sha, GuestLoader.codeVersion() + "+splitter").get("x"));
        assertEquals(1, cache.rejected());
    }

    /**
     * Writers of several processes (here: caches of their own over one directory) store the same
     * entry at once while readers keep reading it: no reader ever sees half a file.
     */
    @Test
    void concurrentWritersNeverExposeHalfAFile() throws Exception {
        byte[] payload = new byte[2 << 20]; // large enough that a write takes a while
        new java.util.Random(7).nextBytes(payload);
        String sha = CompiledClassCache.sha256Hex(payload);
        int writers = 4;
        int readers = 4;
        List<CompiledClassCache> caches = new ArrayList<>();
        for (int i = 0; i < writers + readers; i++) {
            caches.add(CompiledClassCache.open(dir, 1L << 30));
        }
        ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Integer>> reads = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                CompiledClassCache c = caches.get(writers + r);
                reads.add(
                        pool.submit(
                                () -> {
                                    go.await();
                                    int seen = 0;
                                    while (!stop.get() || seen == 0) {
                                        byte[] got = c.entry(sha, "v").get("x");
                                        if (got != null) {
                                            assertArrayEquals(payload, got);
                                            seen++;
                                        }
                                    }
                                    return seen;
                                }));
            }
            List<Future<?>> writes = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                CompiledClassCache c = caches.get(w);
                writes.add(
                        pool.submit(
                                () -> {
                                    go.await();
                                    for (int i = 0; i < 20; i++) {
                                        c.entry(sha, "v").putIfAbsent("x", payload);
                                    }
                                    return null;
                                }));
            }
            go.countDown();
            for (Future<?> f : writes) {
                f.get(60, TimeUnit.SECONDS);
            }
            stop.set(true);
            for (Future<Integer> f : reads) {
                assertTrue(f.get(60, TimeUnit.SECONDS) > 0);
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        for (CompiledClassCache c : caches) {
            assertEquals(0, c.rejected(), "a reader saw a partial or foreign file");
            assertEquals(0, c.writeFailures());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "one entry, no temporary file left");
        }
    }

    @Test
    void concurrentLoadsOfOneGuestShareTheEntry() throws Exception {
        CompiledClassCache cache = CompiledClassCache.open(dir, 1L << 30);
        CompiledClassCache.install(cache);
        Path guest = TestGuests.dist().resolve("hello.wasm");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<GuestModule>> loads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                loads.add(pool.submit(() -> GuestLoader.load(guest, 256)));
            }
            for (Future<GuestModule> f : loads) {
                assertEquals("hello.wasm", f.get(60, TimeUnit.SECONDS).name());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, cache.rejected());
        assertEquals(1, entries(dir).size());
        GuestLoader.load(guest, 256);
        assertTrue(cache.hits() >= 1);
    }

    @Test
    void theDirectoryStaysUnderItsSizeDroppingTheLeastRecentlyUsed() throws Exception {
        Path probe = Files.createDirectory(dir.resolve("probe"));
        CompiledClassCache.install(CompiledClassCache.open(probe, 1L << 30));
        GuestLoader.load(TestGuests.dist().resolve("hello.wasm"), 256);
        long one = Files.size(entries(probe).get(0));

        Path bounded = Files.createDirectory(dir.resolve("bounded"));
        // room for two entries of this size, not three
        CompiledClassCache cache = CompiledClassCache.open(bounded, one * 5 / 2);
        CompiledClassCache.install(cache);
        Path stale =
                Files.writeString(bounded.resolve(".tmp-dead" + CompiledClassCache.SUFFIX), "x");
        Files.setLastModifiedTime(
                stale, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        String[] guests = {"hello.wasm", "echo.wasm", "ab_test.wasm", "kv_counter.wasm"};
        long t = System.currentTimeMillis() - 100_000;
        for (String g : guests) {
            GuestLoader.load(TestGuests.dist().resolve(g), 256);
            // distinct modification times, oldest first, whatever the file system's resolution
            Path written = entryOf(cache, TestGuests.dist().resolve(g));
            if (Files.exists(written)) {
                Files.setLastModifiedTime(written, FileTime.fromMillis(t += 10_000));
            }
            assertTrue(total(bounded) <= one * 5 / 2, "over the bound after " + g);
        }
        assertFalse(Files.exists(stale), "a stale temporary file is removed");
        assertFalse(Files.exists(entryOf(cache, TestGuests.dist().resolve("hello.wasm"))));
        assertTrue(Files.exists(entryOf(cache, TestGuests.dist().resolve("kv_counter.wasm"))));
    }

    @Test
    void noCacheWhenTheSizeIsZero() throws IOException {
        List<String> expected = answers(Files.createDirectory(dir.resolve("ok")));
        Path off = Files.createDirectory(dir.resolve("off"));
        List<String> got;
        try (TestEngine t =
                TestEngine.start(
                        TestGuests.root(),
                        b -> b.compileCacheDirectory(off).compileCacheMaxSize(0),
                        ROUTES)) {
            got = answersOf(t);
        }
        assertEquals(expected, got);
        assertFalse(CompiledClassCache.installed().enabled());
        assertEquals(List.of(), entries(off));
    }

    // ---------------------------------------------------------------------------------------

    /** Every route's answer, status, headers and body, from an engine caching in {@code cache}. */
    private static List<String> answers(Path cache) {
        try (TestEngine t =
                TestEngine.start(TestGuests.root(), b -> b.compileCacheDirectory(cache), ROUTES)) {
            return answersOf(t);
        }
    }

    private static List<String> answersOf(TestEngine t) {
        List<String> out = new ArrayList<>();
        for (String target : TARGETS) {
            Outcome o = t.get(target);
            assertTrue(o.status() == 200 || o.status() == 201, target + ": " + o);
            out.add(target + " " + o.status() + " " + o.headers() + " " + TestEngine.body(o));
        }
        return out;
    }

    private static Path entryOf(CompiledClassCache cache, Path guest) throws IOException {
        return cache.entry(
                        CompiledClassCache.sha256Hex(Files.readAllBytes(guest)),
                        GuestLoader.codeVersion())
                .file();
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(CompiledClassCache.SUFFIX))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .toList();
        }
    }

    private static long total(Path dir) throws IOException {
        long sum = 0;
        for (Path p : entries(dir)) {
            sum += Files.size(p);
        }
        return sum;
    }
}
