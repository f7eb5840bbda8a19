package dev.vivarium.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vivarium.client.Builder;
import dev.vivarium.client.ExitCodes;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code new -> build -> deploy -> list -> logs -> rm} against a real Jetty with the handler and
 * its admin API on 127.0.0.1, with the real toolchains (a language whose toolchain is missing is
 * skipped).
 */
@Timeout(300)
class CliEndToEndTest {
    @TempDir Path work;
    @TempDir Path kv;
    private Server server;
    private String base;

    @BeforeEach
    void startServer() throws Exception {
        server = Cli.server(kv);
        base = Cli.url(server);
    }

    @AfterEach
    void stopServer() throws Exception {
        server.stop();
    }

    @Test
    void watProjectGoesFromNewToServingAndAway() throws Exception {
        lifecycle("hello-wat", "wat");
    }

    @Test
    void cProjectGoesFromNewToServingAndAway() throws Exception {
        assumeTrue(Cli.clang(), "clang-14 and wasi-libc are not installed: " + Builder.APT_C);
        lifecycle("hello-c", "c");
    }

    @Test
    @Timeout(900)
    void rustProjectGoesFromNewToServingAndAway() throws Exception {
        assumeTrue(Cli.rust(), "Debian's Rust toolchain is not installed: " + Builder.APT_RUST);
        lifecycle("hello_rs", "rust");
    }

    /**
     * A project with {@code assets/} deploys as a bundle: the progress of the large upload, the
     * path URL and the host URL of {@code deployments.domain} printed, the files served before the
     * guest, the URL in {@code list}.
     */
    @Test
    void aProjectWithAssetsDeploysAsABundleAndPrintsItsUrls() throws Exception {
        server.stop();
        server = Cli.server(kv, Map.of("deployments.domain", "edge.example.test"));
        base = Cli.url(server);
        assertEquals(0, Cli.run(work, "new", "site", "--lang", "wat").exit());
        Path project = work.resolve("site");
        Files.createDirectories(project.resolve("assets/css"));
        Files.writeString(project.resolve("assets/index.html"), "<h1>site</h1>");
        Files.writeString(project.resolve("assets/css/a.css"), "a{}");
        byte[] big = new byte[3 * 1024 * 1024];
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) ('a' + random.nextInt(26)); // compresses little: a large upload
        }
        Files.write(project.resolve("assets/big.bin"), big);

        Cli.Result deployed = Cli.run(project, "deploy", "--server", base, "--token", Cli.TOKEN);

        assertEquals(0, deployed.exit(), deployed.toString());
        assertTrue(deployed.err().contains("uploading: 100%"), "progress: " + deployed);
        String url = base + "/site/";
        assertTrue(deployed.out().contains(url + "  (answers 200)"), deployed.toString());
        String port = base.substring(base.lastIndexOf(':'));
        assertTrue(
                deployed.out().contains("http://site.edge.example.test" + port + "/"),
                deployed.toString());
        assertEquals("<h1>site</h1>", Cli.get(url).body());
        assertEquals("a{}", Cli.get(url + "css/a.css").body());
        assertEquals(
                new String(big, java.nio.charset.StandardCharsets.US_ASCII),
                Cli.get(url + "big.bin").body());
        Cli.Result list = Cli.run(project, "list", "--server", base, "--token", Cli.TOKEN);
        assertTrue(list.out().contains(url), list.toString());
    }

    private void lifecycle(String name, String lang) throws Exception {
        Cli.Result created = Cli.run(work, "new", name, "--lang", lang);
        assertEquals(0, created.exit(), created.toString());
        Path project = work.resolve(name);
        assertTrue(Files.isRegularFile(project.resolve("vivarium.toml")), created.toString());

        Cli.Result built = Cli.run(project, "build");
        assertEquals(0, built.exit(), built.toString());
        assertTrue(built.out().startsWith("built target/" + name + ".wasm"), built.toString());
        Cli.Result again = Cli.run(project, "build");
        assertEquals(0, again.exit(), again.toString());
        assertTrue(again.out().contains("up to date"), "incremental: " + again);

        Cli.Result deployed =
                Cli.run(project, "deploy", "--ttl", "10m", "--server", base, "--token", Cli.TOKEN);
        assertEquals(0, deployed.exit(), deployed.toString());
        String url = base + "/" + name + "/";
        assertTrue(deployed.out().contains(url + "  (answers 200)"), deployed.toString());
        HttpResponse<String> served = Cli.get(url + "x");
        assertEquals(200, served.statusCode(), served.body());
        assertEquals("Hello from " + name + "!\n", served.body());

        Cli.Result list = Cli.run(project, "list", "--server", base, "--token", Cli.TOKEN);
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(name + " ")), list.toString());
        assertTrue(list.out().contains("/" + name + "/*"), list.toString());

        // the logs endpoint is not on this server yet: then the CLI says so, with its own code
        Cli.Result logs = Cli.run(project, "logs", name, "--server", base, "--token", Cli.TOKEN);
        if (logs.exit() == 0) {
            assertTrue(logs.out().contains(name + ": "), "the guest's log line: " + logs);
        } else {
            assertEquals(ExitCodes.REFUSED, logs.exit(), logs.toString());
            assertTrue(logs.err().contains("logs " + name), logs.toString());
        }

        Cli.Result removed = Cli.run(project, "rm", name, "--server", base, "--token", Cli.TOKEN);
        assertEquals(0, removed.exit(), removed.toString());
        assertEquals(404, Cli.get(url + "x").statusCode(), "removed");
        Cli.Result after = Cli.run(project, "list", "--server", base, "--token", Cli.TOKEN);
        assertFalse(after.out().lines().anyMatch(l -> l.startsWith(name + " ")), after.toString());
    }

    @Test
    void aWrongTokenIsNamedAsSuch() throws Exception {
        Path project = newWat("tok");
        Cli.Result r =
                Cli.run(project, "deploy", "--server", base, "--token", "not-the-right-token");
        assertEquals(ExitCodes.UNAUTHORIZED, r.exit(), r.toString());
        assertTrue(r.err().contains("bad or missing token"), r.toString());
        Cli.Result none = Cli.run(project, "list", "--server", base, "--token", "");
        assertEquals(ExitCodes.UNAUTHORIZED, none.exit(), none.toString());
        assertTrue(none.err().contains("--token"), none.toString());
    }

    @Test
    void aRefusedUploadShowsTheServersMessage() throws Exception {
        Path project = newWat("refused");
        Cli.Result r =
                Cli.run(project, "deploy", "--ttl", "99y", "--server", base, "--token", Cli.TOKEN);
        assertEquals(ExitCodes.REFUSED, r.exit(), r.toString());
        assertTrue(r.err().contains("HTTP 400"), r.toString());
        assertTrue(r.err().contains("invalid ttl '99y'"), "the server's JSON message: " + r);
    }

    @Test
    void anUnreachableServerSaysWhatToCheck() throws Exception {
        Path project = newWat("gone");
        String closed = base;
        server.stop();
        Cli.Result r = Cli.run(project, "deploy", "--server", closed, "--token", Cli.TOKEN);
        assertEquals(ExitCodes.UNREACHABLE, r.exit(), r.toString());
        assertTrue(r.err().contains("cannot reach " + closed), r.toString());
        server.start(); // for @AfterEach
    }

    @Test
    void aBrokenSourceFailsTheBuildWithWhereItIsWrong() throws Exception {
        Path project = newWat("broken");
        Files.writeString(project.resolve("src/main.wat"), "(module (func $run (export \"run\")");
        Cli.Result r = Cli.run(project, "build");
        assertEquals(ExitCodes.BUILD_FAILED, r.exit(), r.toString());
        assertTrue(r.err().contains("src/main.wat: invalid WebAssembly text"), r.toString());
    }

    @Test
    void outsideAProjectTheMessageSaysHowToMakeOne() {
        Cli.Result r = Cli.run(work, "build");
        assertEquals(ExitCodes.PROJECT, r.exit(), r.toString());
        assertTrue(r.err().contains("vivarium new NAME --lang rust|c|wat"), r.toString());
    }

    @Test
    void newRefusesABadNameOrLanguageOrAnExistingDirectory() throws Exception {
        assertEquals(ExitCodes.USAGE, Cli.run(work, "new", "Bad Name", "--lang", "wat").exit());
        Cli.Result lang = Cli.run(work, "new", "ok", "--lang", "cobol");
        assertEquals(ExitCodes.PROJECT, lang.exit(), lang.toString());
        assertTrue(lang.err().contains("valid: rust, c, wat"), lang.toString());
        newWat("twice");
        Cli.Result twice = Cli.run(work, "new", "twice", "--lang", "wat");
        assertEquals(ExitCodes.PROJECT, twice.exit(), twice.toString());
        assertTrue(twice.err().contains("already exists"), twice.toString());
    }

    @Test
    void logsFollowPrintsTheGuestsLinesAsTheyComeUntilTheDeploymentIsRemoved() throws Exception {
        Path project = newWat("tail");
        assertEquals(0, Cli.run(project, "build").exit());
        Cli.Result deployed =
                Cli.run(project, "deploy", "--ttl", "10m", "--server", base, "--token", Cli.TOKEN);
        assertEquals(0, deployed.exit(), deployed.toString());
        assertEquals(200, Cli.get(base + "/tail/before").statusCode());
        java.util.concurrent.CompletableFuture<Cli.Result> follow =
                java.util.concurrent.CompletableFuture.supplyAsync(
                        () ->
                                Cli.run(
                                        project,
                                        "logs",
                                        "tail",
                                        "--follow",
                                        "--server",
                                        base,
                                        "--token",
                                        Cli.TOKEN));
        Thread.sleep(1000);
        assertFalse(follow.isDone(), "still following: " + (follow.isDone() ? follow.get() : ""));
        assertEquals(200, Cli.get(base + "/tail/after").statusCode());
        Thread.sleep(500);
        Cli.Result removed = Cli.run(project, "rm", "tail", "--server", base, "--token", Cli.TOKEN);
        assertEquals(0, removed.exit(), removed.toString());
        Cli.Result logs = follow.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, logs.exit(), logs.toString());
        java.util.List<String> lines = logs.out().lines().toList();
        // one line per request: deploy's own check that the route answers, then before and after
        assertEquals(3, lines.size(), "the line of each request, before and after: " + logs);
        assertTrue(lines.stream().allMatch(l -> l.equals("tail: tail: request")), logs.toString());
        assertTrue(logs.err().contains("deployment tail was removed"), logs.toString());
    }

    private Path newWat(String name) {
        Cli.Result r = Cli.run(work, "new", name, "--lang", "wat");
        assertEquals(0, r.exit(), r.toString());
        return work.resolve(name);
    }
}
