package dev.vivarium.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vivarium.toml}: what it may say, its defaults, and the errors that name the line. */
class ProjectTest {
    @TempDir Path dir;

    private CliException refused(String manifest) throws Exception {
        Files.writeString(dir.resolve(Project.MANIFEST), manifest);
        CliException e = assertThrows(CliException.class, () -> Project.load(dir));
        assertEquals(ExitCodes.PROJECT, e.exitCode(), e.getMessage());
        return e;
    }

    @Test
    void routeAndTtlDefaultToTheNameAndAnHour() throws Exception {
        Files.writeString(
                dir.resolve(Project.MANIFEST), "# a guest\nname = \"hello\"\nlang = \"WAT\"\n");
        Files.createDirectories(dir.resolve("src/deep"));
        Project p = Project.load(dir.resolve("src/deep")); // found from below, as the CLI runs
        assertEquals(dir, p.dir());
        assertEquals("hello", p.name());
        assertEquals(Project.Lang.WAT, p.lang());
        assertEquals("/hello/*", p.route());
        assertEquals("1h", p.ttl());
        assertEquals("/hello/", p.urlPath());
        assertEquals(dir.resolve("target/hello.wasm"), p.output());
    }

    @Test
    void theUrlPathIsTheRoutesPathWithoutItsWildcard() {
        Path d = Path.of("x");
        assertEquals("/api/", new Project(d, "a", Project.Lang.C, "/api/*", "1h").urlPath());
        assertEquals("/exact", new Project(d, "a", Project.Lang.C, "/exact", "1h").urlPath());
        assertEquals("/pre", new Project(d, "a", Project.Lang.C, "/pre*", "1h").urlPath());
        assertEquals("/", new Project(d, "a", Project.Lang.C, "*", "1h").urlPath());
    }

    @Test
    void anUnknownKeyIsRefusedWithItsLineAndTheValidKeys() throws Exception {
        CliException e = refused("name = \"a\"\nport = \"80\"\n");
        assertTrue(
                e.getMessage()
                        .endsWith(
                                "vivarium.toml:2: unknown key 'port'; valid: [name, lang, route,"
                                        + " ttl]"),
                e.getMessage());
    }

    @Test
    void aLineThatIsNotKeyEqualsStringIsRefused() throws Exception {
        CliException e = refused("name = a\n");
        assertTrue(
                e.getMessage().contains(":1: expected key = \"value\", got: name = a"),
                e.getMessage());
    }

    @Test
    void aBadNameOrLanguageOrNoLanguageIsRefused() throws Exception {
        assertTrue(
                refused("name = \"Hello\"\nlang = \"wat\"\n")
                        .getMessage()
                        .contains("name must be set"));
        assertTrue(
                refused("name = \"a\"\nlang = \"go\"\n")
                        .getMessage()
                        .contains("unknown lang 'go'; valid: rust, c, wat"));
        assertTrue(refused("name = \"a\"\n").getMessage().contains("lang is not set"));
    }

    @Test
    void withoutAManifestTheMessageSaysHowToMakeOne() {
        CliException e = assertThrows(CliException.class, () -> Project.load(dir));
        assertEquals(ExitCodes.PROJECT, e.exitCode());
        assertTrue(e.getMessage().contains("vivarium new NAME --lang rust|c|wat"), e.getMessage());
    }

    @Test
    void aNewProjectsManifestReadsBackTheSame() throws Exception {
        Project p = new Project(dir, "svc", Project.Lang.RUST, "/api/*", "2h");
        Files.writeString(dir.resolve(Project.MANIFEST), p.manifestText());
        Project back = Project.load(dir);
        assertEquals(
                p.name() + p.lang() + p.route() + p.ttl(),
                back.name() + back.lang() + back.route() + back.ttl());
    }
}
