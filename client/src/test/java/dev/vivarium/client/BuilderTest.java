package dev.vivarium.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WAT project builds inside the JVM (no toolchain), is skipped while up to date, and a broken
 * source names its file. C and Rust builds run in cli's end-to-end tests with the real toolchains.
 */
@Timeout(60)
class BuilderTest {
    @TempDir Path dir;
    private final Builder builder = new Builder(new PrintWriter(new StringWriter(), true));

    private Project wat(String source) throws Exception {
        Files.createDirectories(dir.resolve("src"));
        Files.writeString(dir.resolve("src/main.wat"), source);
        return new Project(dir, "w", Project.Lang.WAT, "/w/*", "1h");
    }

    @Test
    void aWatProjectBuildsAndIsUpToDateUntilASourceChanges() throws Exception {
        Project p = wat("(module (func (export \"run\")))");
        Builder.Result first = builder.build(p, false);
        assertFalse(first.upToDate());
        assertEquals(dir.resolve("target/w.wasm"), first.output());
        byte[] wasm = Files.readAllBytes(first.output());
        assertArrayEquals(new byte[] {0, 'a', 's', 'm'}, Arrays.copyOf(wasm, 4));

        assertTrue(builder.build(p, false).upToDate());
        assertFalse(builder.build(p, true).upToDate(), "force rebuilds");

        Path src = dir.resolve("src/main.wat");
        Files.setLastModifiedTime(
                src,
                FileTime.fromMillis(Files.getLastModifiedTime(first.output()).toMillis() + 2000));
        assertFalse(builder.build(p, false).upToDate(), "a newer source rebuilds");
    }

    @Test
    void aBrokenWatSourceFailsWithItsFileAndKeepsNoOutput() throws Exception {
        Project p = wat("(module (func (export \"run\")");
        CliException e = assertThrows(CliException.class, () -> builder.build(p, false));
        assertEquals(ExitCodes.BUILD_FAILED, e.exitCode());
        assertTrue(
                e.getMessage().startsWith("src/main.wat: invalid WebAssembly text"),
                e.getMessage());
        assertFalse(Files.exists(p.output()));
    }

    @Test
    void aWatProjectWithoutItsSourceSaysWhichFileIsMissing() {
        Project p = new Project(dir, "w", Project.Lang.WAT, "/w/*", "1h");
        CliException e = assertThrows(CliException.class, () -> builder.build(p, false));
        assertEquals(ExitCodes.PROJECT, e.exitCode());
        assertTrue(
                e.getMessage().endsWith("src/main.wat is missing (a wat project's source)"),
                e.getMessage());
    }

    @Test
    void targetAndGitAndCargoLockAreNoSources() {
        assertFalse(Builder.watched(dir, dir.resolve("target/w.wasm")));
        assertFalse(Builder.watched(dir, dir.resolve(".git/HEAD")));
        assertFalse(Builder.watched(dir, dir.resolve("Cargo.lock")));
        assertTrue(Builder.watched(dir, dir.resolve(".cargo/config.toml")));
        assertTrue(Builder.watched(dir, dir.resolve("src/main.wat")));
    }
}
