package dev.vivarium.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest project: a directory with a {@code vivarium.toml} manifest ({@code name}, {@code lang},
 * {@code route}, {@code ttl}), its sources and its output {@code target/NAME.wasm}. The manifest is
 * the small TOML subset of {@code key = "value"} lines and {@code #} comments.
 */
public final class Project {
    public static final String MANIFEST = "vivarium.toml";
    public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    private static final Pattern LINE = Pattern.compile("([A-Za-z_]+)\\s*=\\s*\"([^\"]*)\"\\s*");
    private static final List<String> KEYS = List.of("name", "lang", "route", "ttl");

    /** The languages {@code vivarium new} writes and {@code vivarium build} builds. */
    public enum Lang {
        RUST,
        C,
        WAT;

        public static Lang parse(String s, String where) {
            for (Lang l : values()) {
                if (l.name().equalsIgnoreCase(s.strip())) {
                    return l;
                }
            }
            throw new CliException(
                    ExitCodes.PROJECT, where + ": unknown lang '" + s + "'; valid: rust, c, wat");
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Path dir;
    private final String name;
    private final Lang lang;
    private final String route;
    private final String ttl;

    public Project(Path dir, String name, Lang lang, String route, String ttl) {
        this.dir = dir;
        this.name = name;
        this.lang = lang;
        this.route = route;
        this.ttl = ttl;
    }

    /** Reads the project in {@code dir} (or the nearest parent holding a vivarium.toml). */
    public static Project load(Path start) {
        Path dir = start;
        while (dir != null && !Files.isRegularFile(dir.resolve(MANIFEST))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new CliException(
                    ExitCodes.PROJECT,
                    "no "
                            + MANIFEST
                            + " in "
                            + start
                            + " or above; run this in a project, or create one with"
                            + " `vivarium new NAME --lang rust|c|wat`");
        }
        Path manifest = dir.resolve(MANIFEST);
        Map<String, String> values = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.PROJECT, manifest + ": not found");
        } catch (IOException e) {
            throw new CliException(ExitCodes.PROJECT, manifest + ": cannot read: " + e, e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = manifest + ":" + (i + 1);
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new CliException(
                        ExitCodes.PROJECT, where + ": expected key = \"value\", got: " + line);
            }
            if (!KEYS.contains(m.group(1))) {
                throw new CliException(
                        ExitCodes.PROJECT,
                        where + ": unknown key '" + m.group(1) + "'; valid: " + KEYS);
            }
            values.put(m.group(1), m.group(2));
        }
        String name = values.get("name");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new CliException(
                    ExitCodes.PROJECT,
                    manifest
                            + ": name must be set to lower-case letters, digits, '_' or '-'"
                            + " (starting with a letter), got: "
                            + name);
        }
        String lang = values.get("lang");
        if (lang == null) {
            throw new CliException(
                    ExitCodes.PROJECT, manifest + ": lang is not set (rust, c, wat)");
        }
        return new Project(
                dir,
                name,
                Lang.parse(lang, manifest.toString()),
                values.getOrDefault("route", "/" + name + "/*"),
                values.getOrDefault("ttl", "1h"));
    }

    /** The manifest text of a new project. */
    public String manifestText() {
        return "# The manifest of a Vivarium guest project, read by the vivarium command.\n"
                + "# name: the deployment id; route: where it answers; ttl: how long an upload lives.\n"
                + "name = \""
                + name
                + "\"\nlang = \""
                + lang.id()
                + "\"\nroute = \""
                + route
                + "\"\nttl = \""
                + ttl
                + "\"\n";
    }

    public Path dir() {
        return dir;
    }

    public String name() {
        return name;
    }

    public Lang lang() {
        return lang;
    }

    public String route() {
        return route;
    }

    public String ttl() {
        return ttl;
    }

    /** Where {@code vivarium build} puts the module. */
    public Path output() {
        return dir.resolve("target").resolve(name + ".wasm");
    }

    /** The path part of the URL the route serves: {@code /hello/*} is served at {@code /hello/}. */
    public String urlPath() {
        int slash = route.indexOf('/');
        String path = slash < 0 ? "/" : route.substring(slash);
        if (path.endsWith("/*")) {
            return path.substring(0, path.length() - 1);
        }
        if (path.endsWith("*")) {
            return path.substring(0, path.length() - 1);
        }
        return path;
    }
}
