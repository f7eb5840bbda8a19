package dev.vivarium.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's command line, run for real: {@code java -jar target/vivarium-sample.jar} with
 * options and environment variables, in its own process on 127.0.0.1.
 */
@Timeout(120)
class LauncherIT {
    private static final Pattern SITE =
            Pattern.compile("Vivarium sample site on (http://127\\.0\\.0\\.1:(\\d+))/");

    /** A finished run: exit status and everything it printed (stdout and stderr). */
    private record Run(int status, String output) {}

    private static ProcessBuilder launcher(Map<String, String> env, String... args) {
        Path jar = Path.of("target/vivarium-sample.jar");
        assertTrue(Files.exists(jar), "run after 'package': " + jar.toAbsolutePath());
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        b.environment().keySet().removeIf(k -> k.startsWith("VIVARIUM_"));
        b.environment().putAll(env);
        return b;
    }

    private static Run run(Map<String, String> env, String... args) throws Exception {
        Process p = launcher(env, args).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher did not exit:\n" + output);
        return new Run(p.exitValue(), output);
    }

    @Test
    void helpListsEveryOptionWithItsEnvironmentVariable() throws Exception {
        Run help = run(Map.of(), "--help");
        assertEquals(0, help.status(), help.output());
        for (String option :
                List.of(
                        "--port N",
                        "VIVARIUM_PORT",
                        "--host ADDR",
                        "--guests DIR",
                        "VIVARIUM_GUESTS",
                        "--config FILE",
                        "VIVARIUM_CONFIG",
                        "--help")) {
            assertTrue(help.output().contains(option), option + " in:\n" + help.output());
        }
    }

    @Test
    void badArgumentsSayWhatWasWrongAndWhatIsValid(@TempDir Path dir) throws Exception {
        Map<String, String> cases =
                Map.of(
                        "--port abc",
                        "vivarium-sample: --port 'abc' is not a port: give a number from 0 (any"
                                + " free port) to 65535",
                        "--port 70000",
                        "vivarium-sample: --port '70000' is not a port",
                        "--prot 8080",
                        "vivarium-sample: unknown argument '--prot'; valid: --port N, --host"
                                + " ADDR, --guests DIR, --config FILE",
                        "--port",
                        "vivarium-sample: --port needs a value: --port N (0 to 65535)",
                        "--guests " + dir.resolve("missing"),
                        "vivarium-sample: --guests '"
                                + dir.resolve("missing")
                                + "': no such directory",
                        "--config " + dir.resolve("none.properties"),
                        "': no such file; give a properties file of Vivarium settings");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Run r = run(Map.of(), c.getKey().split(" "));
            assertEquals(2, r.status(), c.getKey() + ":\n" + r.output());
            assertTrue(r.output().contains(c.getValue()), c.getKey() + ":\n" + r.output());
            assertTrue(r.output().contains("Run with --help"), r.output());
        }
        Run env = run(Map.of("VIVARIUM_PORT", "eighty"));
        assertEquals(2, env.status(), env.output());
        assertTrue(
                env.output()
                        .contains(
                                "vivarium-sample: environment variable VIVARIUM_PORT 'eighty' is"
                                        + " not a port"),
                env.output());
    }

    @Test
    void anUnknownSettingInTheConfigFileStopsTheStartNamingIt(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("bad.properties");
        Files.writeString(config, "deadlne=3s\n");
        Run r =
                run(
                        Map.of("VIVARIUM_KV_DIRECTORY", dir.resolve("kv").toString()),
                        "--port",
                        "0",
                        "--config",
                        config.toString());
        assertEquals(1, r.status(), r.output());
        assertTrue(r.output().contains("vivarium-sample: the site did not start: "), r.output());
        assertTrue(r.output().contains("unknown Vivarium setting 'deadlne'"), r.output());
    }

    @Test
    void servesTheConfiguredGuestsOnAFreePortAndPrintsTheirUrls(@TempDir Path dir)
            throws Exception {
        Path guests = Files.createDirectories(dir.resolve("guests"));
        Files.copy(
                TestGuests.watFixtures().resolve("hello_raw.wat"), guests.resolve("hello_raw.wat"));
        Path config = dir.resolve("site.properties");
        Files.writeString(config, "routes=/hi -> hello_raw.wat\ndeadline=3s\n");
        Process p =
                launcher(
                                Map.of(
                                        "VIVARIUM_GUESTS", guests.toString(),
                                        "VIVARIUM_KV_DIRECTORY", dir.resolve("kv").toString()),
                                "--port",
                                "0",
                                "--config",
                                config.toString())
                        .start();
        try {
            BufferedReader out =
                    new BufferedReader(
                            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder log = new StringBuilder();
            String base = null;
            String line;
            while ((line = out.readLine()) != null) {
                log.append(line).append('\n');
                Matcher m = SITE.matcher(line);
                if (m.find()) {
                    base = m.group(1);
                    // the route lines follow at once
                    log.append(out.readLine()).append('\n');
                    break;
                }
            }
            assertTrue(base != null, "the launcher did not start:\n" + log);
            assertTrue(
                    log.toString().contains("  " + base + "/hi -> hello_raw.wat\n"),
                    log.toString());
            assertTrue(
                    log.toString()
                            .contains("KV stores and uploaded deployments in " + dir.resolve("kv")),
                    log.toString());
            HttpResponse<String> hi =
                    SampleProcess.send(HttpRequest.newBuilder(URI.create(base + "/hi")));
            assertEquals(200, hi.statusCode(), hi.body());
            assertEquals("Hello, world!", hi.body());
            HttpResponse<String> hello =
                    SampleProcess.send(HttpRequest.newBuilder(URI.create(base + "/hello")));
            assertEquals(404, hello.statusCode(), "the config's routes replace the WAR's");
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
