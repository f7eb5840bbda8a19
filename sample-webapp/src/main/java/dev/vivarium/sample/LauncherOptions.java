package dev.vivarium.sample;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * The sample launcher's command line: each option, else its environment variable, else the older
 * system property, else the default. A bad argument is a {@link UsageException} that says what was
 * wrong and what is valid.
 *
 * @param port the HTTP port; 0 picks a free one
 * @param host the address to listen on
 * @param guests a directory of guest files in place of the WAR's {@code /WEB-INF/guests}, or null
 * @param config a properties file of Vivarium settings over the WAR's init-params, or null
 * @param settings the settings read from {@code config} (empty without one)
 * @param kvDirectory where KV stores and uploaded deployments are kept, or null for the default
 * @param help whether {@code --help} was given
 */
record LauncherOptions(
        int port,
        String host,
        Path guests,
        Path config,
        Map<String, String> settings,
        Path kvDirectory,
        boolean help) {

    static final String USAGE =
            String.join(
                    "\n",
                    "Usage: java -jar vivarium-sample.jar [OPTIONS]",
                    "",
                    "Runs the Vivarium sample site (its WAR on an embedded Jetty).",
                    "",
                    "Options (each also read from the environment variable shown):",
                    "  --port N          HTTP port, 0 for any free one (VIVARIUM_PORT; default"
                            + " 8080)",
                    "  --host ADDR       address to listen on, 0.0.0.0 for all (VIVARIUM_HOST;"
                            + " default 127.0.0.1)",
                    "  --guests DIR      directory of guest files the routes name, in place of the"
                            + " WAR's /WEB-INF/guests (VIVARIUM_GUESTS)",
                    "  --config FILE     properties file of Vivarium settings (the filter's"
                            + " init-params, e.g. routes=/hi -> hi.wasm), over the WAR's own"
                            + " (VIVARIUM_CONFIG)",
                    "  --kv-directory DIR  where KV stores and uploads are kept across restarts"
                            + " (VIVARIUM_KV_DIRECTORY; default vivarium-data/kv next to the jar)",
                    "  --help            print this and exit",
                    "",
                    "Settings are described in docs/configuration.md; -Dvivarium.admin.token=..."
                            + " turns on the admin API.",
                    "");

    /** What the user got wrong; the launcher prints it and exits with status 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /**
     * @param env the environment ({@code System::getenv})
     * @param sys the system properties ({@code System::getProperty})
     */
    static LauncherOptions parse(
            List<String> args, Function<String, String> env, Function<String, String> sys)
            throws UsageException {
        Map<String, String> given = new LinkedHashMap<>();
        boolean help = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!List.of("--port", "--host", "--guests", "--config", "--kv-directory")
                    .contains(name)) {
                throw new UsageException(
                        "unknown argument '"
                                + arg
                                + "'; valid: --port N, --host ADDR, --guests DIR, --config FILE,"
                                + " --kv-directory DIR, --help");
            }
            if (value == null) {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                    throw new UsageException(name + " needs a value: " + name + " " + meta(name));
                }
                value = args.get(++i);
            }
            if (given.put(name, value) != null) {
                throw new UsageException(name + " is given twice");
            }
        }
        String portText = pick(given, "--port", env, "VIVARIUM_PORT", sys, "jetty.http.port");
        int port =
                portText == null ? 8080 : port(portText, source(given, "--port", "VIVARIUM_PORT"));
        String host = pick(given, "--host", env, "VIVARIUM_HOST", sys, "jetty.http.host");
        if (host == null) {
            host = "127.0.0.1";
        } else if (host.isBlank()) {
            throw new UsageException(
                    source(given, "--host", "VIVARIUM_HOST")
                            + " is empty: give an address such as 127.0.0.1 or 0.0.0.0");
        }
        Path guests = directory(given, "--guests", env, "VIVARIUM_GUESTS", null, true);
        Path kv =
                directory(
                        given,
                        "--kv-directory",
                        env,
                        "VIVARIUM_KV_DIRECTORY",
                        sys.apply(Launcher.KV_DIRECTORY),
                        false);
        String configText = pick(given, "--config", env, "VIVARIUM_CONFIG", s -> null, null);
        Path config = null;
        Map<String, String> settings = Map.of();
        if (configText != null) {
            config = Path.of(configText).toAbsolutePath();
            settings = readConfig(config, source(given, "--config", "VIVARIUM_CONFIG"));
        }
        return new LauncherOptions(port, host, guests, config, settings, kv, help);
    }

    private static String meta(String option) {
        return switch (option) {
            case "--port" -> "N (0 to 65535)";
            case "--host" -> "ADDR";
            case "--config" -> "FILE";
            default -> "DIR";
        };
    }

    private static String pick(
            Map<String, String> given,
            String option,
            Function<String, String> env,
            String var,
            Function<String, String> sys,
            String property) {
        if (given.containsKey(option)) {
            return given.get(option);
        }
        String fromEnv = env.apply(var);
        if (fromEnv != null) {
            return fromEnv;
        }
        return property == null ? null : sys.apply(property);
    }

    private static String source(Map<String, String> given, String option, String var) {
        return given.containsKey(option) ? option : "environment variable " + var;
    }

    private static int port(String text, String source) throws UsageException {
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException(
                source
                        + " '"
                        + text
                        + "' is not a port: give a number from 0 (any free port) to 65535");
    }

    private static Path directory(
            Map<String, String> given,
            String option,
            Function<String, String> env,
            String var,
            String fallback,
            boolean mustExist)
            throws UsageException {
        String text = given.containsKey(option) ? given.get(option) : env.apply(var);
        if (text == null) {
            return fallback == null || fallback.isBlank() ? null : Path.of(fallback);
        }
        String source = source(given, option, var);
        if (text.isBlank()) {
            throw new UsageException(source + " is empty: give a directory");
        }
        Path dir = Path.of(text).toAbsolutePath();
        if (mustExist && !Files.isDirectory(dir)) {
            throw new UsageException(
                    source
                            + " '"
                            + text
                            + "': "
                            + (Files.exists(dir) ? "not a directory" : "no such directory")
                            + "; give the directory that holds the guest files (.wasm, .wat)");
        }
        return dir;
    }

    private static Map<String, String> readConfig(Path file, String source) throws UsageException {
        if (!Files.isRegularFile(file)) {
            throw new UsageException(
                    source
                            + " '"
                            + file
                            + "': no such file; give a properties file of Vivarium settings"
                            + " (name=value lines, e.g. routes=/hi -> hi.wasm)");
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException(source + " '" + file + "' cannot be read: " + e.getMessage());
        }
        Map<String, String> settings = new LinkedHashMap<>();
        p.stringPropertyNames().stream()
                .sorted()
                .forEach(name -> settings.put(name, p.getProperty(name)));
        return settings;
    }
}
