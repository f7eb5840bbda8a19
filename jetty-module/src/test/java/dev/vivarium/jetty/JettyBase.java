package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A jetty-base for a distribution test: a fresh directory under the IT work directory, module zips
 * unpacked into it, and Jetty ({@code start.jar} of the real jetty-home the build unpacked) run in
 * it as its own process. (The same steps as {@link JettyDistributionIT}'s own helpers.)
 */
final class JettyBase {
    static final Duration STEP_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern STARTED_CONNECTOR =
            Pattern.compile(
                    "Started (?:oejs\\.)?ServerConnector@\\S+\\{[^}]*}\\{127\\.0\\.0\\.1:(\\d+)}");

    /** The newest jetty-home the build unpacked (the last of {@code vivarium.it.jettyHomes}). */
    final Path home =
            JettyDistributionIT.jettyHomes().get(JettyDistributionIT.jettyHomes().size() - 1);

    final Path dir;

    JettyBase(String name) throws IOException {
        dir = Path.of(property("vivarium.it.workDirectory")).resolve(name);
        deleteRecursively(dir);
        Files.createDirectories(dir);
    }

    static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException(name + " is not set: run this test with mvn verify");
        }
        return value;
    }

    /** Unpacks a module zip (modules/, etc/, lib/) into the jetty-base. */
    void unzip(Path zip) throws IOException {
        try (InputStream in = Files.newInputStream(zip);
                ZipInputStream entries = new ZipInputStream(in)) {
            for (ZipEntry e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
                Path target = dir.resolve(e.getName()).normalize();
                if (!target.startsWith(dir)) {
                    throw new IOException("zip entry outside the jetty-base: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(entries, target);
                }
            }
        }
    }

    /** {@code java -jar start.jar ARGS} in the jetty-base, its output in {@code log}. */
    Process start(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(home.resolve("start.jar").toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /**
     * Runs {@code start.jar ARGS} to its end (e.g. {@code --add-modules}); fails unless it exits 0.
     */
    String run(String logName, String... args) throws Exception {
        Path log = dir.resolve(logName);
        Process p = start(log, args);
        if (!p.waitFor(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("start.jar " + String.join(" ", args) + " hung:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        if (p.exitValue() != 0) {
            fail(
                    "start.jar "
                            + String.join(" ", args)
                            + " exited "
                            + p.exitValue()
                            + ":\n"
                            + output);
        }
        return output;
    }

    /** Waits for the connector's "Started" line and reads the port Jetty chose. */
    static int awaitPort(Process process, Path log) throws Exception {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String output = Files.exists(log) ? Files.readString(log) : "";
            Matcher m = STARTED_CONNECTOR.matcher(output);
            if (m.find() && output.contains("Started oejs.Server@")) {
                return Integer.parseInt(m.group(1));
            }
            if (!process.isAlive()) {
                fail("Jetty exited with " + process.exitValue() + ":\n" + output);
            }
            Thread.sleep(100);
        }
        fail("Jetty did not start within " + STEP_TIMEOUT + ":\n" + Files.readString(log));
        return -1;
    }

    static void stop(Process process) throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
