package dev.vivarium.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vivarium.client.Builder;
import dev.vivarium.client.Project;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vivarium dev}: the project answers on 127.0.0.1, a saved change is rebuilt and served, and
 * a broken save keeps the last good version serving. Prints how long a save took to reach the first
 * response of the new code (bench/README.md has the numbers of bench/dev-loop.sh).
 */
@Timeout(120)
class DevServerTest {
    @TempDir Path work;

    @Test
    void aSavedWatChangeIsServedAndABrokenOneKeepsTheLastGoodVersion() throws Exception {
        Path dir = create("devwat", "wat");
        StringWriter log = new StringWriter();
        try (DevServer dev = start(dir, log)) {
            assertEquals("Hello from devwat!\n", Cli.get(dev.url()).body());

            Path src = dir.resolve("src/main.wat");
            // same length: the template's body length stays right
            save(src, Files.readString(src).replace("Hello from", "Howdy from"));
            long saved = System.nanoTime();
            String body = awaitBody(dev, "Howdy from devwat!\n");
            System.out.printf(
                    "vivarium dev (wat): save -> first new response %d ms%n",
                    (System.nanoTime() - saved) / 1_000_000);
            assertEquals("Howdy from devwat!\n", body);

            save(src, "(module (func (export \"run\")");
            while (dev.failures() == 0) {
                Thread.sleep(20);
            }
            HttpResponse<String> still = Cli.get(dev.url());
            assertEquals(200, still.statusCode());
            assertEquals("Howdy from devwat!\n", still.body(), "the last good build serves");
            assertTrue(log.toString().contains("invalid WebAssembly text"), log.toString());
        }
    }

    @Test
    void aSavedCChangeIsServed() throws Exception {
        assumeTrue(Cli.clang(), "clang-14 and wasi-libc are not installed: " + Builder.APT_C);
        Path dir = create("devc", "c");
        StringWriter log = new StringWriter();
        try (DevServer dev = start(dir, log)) {
            assertEquals("Hello from devc!\n", Cli.get(dev.url()).body());
            Path src = dir.resolve("src/main.c");
            save(src, Files.readString(src).replace("Hello from", "Greetings from"));
            long saved = System.nanoTime();
            String body = awaitBody(dev, "Greetings from devc!\n");
            System.out.printf(
                    "vivarium dev (c): save -> first new response %d ms%n",
                    (System.nanoTime() - saved) / 1_000_000);
            assertEquals("Greetings from devc!\n", body);
        } finally {
            System.out.print(log);
        }
    }

    private Path create(String name, String lang) {
        Cli.Result r = Cli.run(work, "new", name, "--lang", lang);
        assertEquals(0, r.exit(), r.toString());
        return work.resolve(name);
    }

    private static DevServer start(Path dir, StringWriter log) throws Exception {
        return new DevServer(Project.load(dir), "127.0.0.1", 0, new PrintWriter(log, true)).start();
    }

    private static void save(Path file, String text) throws Exception {
        Files.writeString(file, text);
    }

    /** Polls until the body is {@code expected} (the class's timeout bounds it). */
    private static String awaitBody(DevServer dev, String expected) throws Exception {
        while (true) {
            String body = Cli.get(dev.url()).body();
            if (body.equals(expected)) {
                return body;
            }
            Thread.sleep(10);
        }
    }
}
