package dev.vivarium.core.deploy;

import dev.vivarium.core.config.Settings;
import dev.vivarium.core.log.Clip;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bundle's {@code vivarium.toml}, the same file a {@code vivarium} project keeps at its root:
 * {@code key = value} lines of a small TOML subset (basic strings, {@code true}/{@code false},
 * arrays of strings on one line, {@code #} comments). See {@code docs/bundles.md}.
 *
 * @param name the project's name (informative: the id is the upload's)
 * @param routes where it answers, MATCH patterns ({@code route} or {@code routes})
 * @param hostname a host name it answers on, all of its paths ({@code hostname/*})
 * @param ttl its lifetime, or null for the upload's or {@code deployments.defaultTtl}
 * @param kv whether it gets a key-value store (default true)
 */
public record BundleManifest(
        String name, List<String> routes, String hostname, Duration ttl, boolean kv) {
    public static final String FILE = "vivarium.toml";

    /** The keys a manifest may have; {@code lang} is the CLI's and ignored here. */
    public static final List<String> KEYS =
            List.of("name", "lang", "route", "routes", "hostname", "ttl", "kv");

    /** A bundle without a manifest: everything from the upload's parameters. */
    public static final BundleManifest NONE = new BundleManifest(null, List.of(), null, null, true);

    public BundleManifest {
        routes = List.copyOf(routes);
    }

    /** Every MATCH the manifest gives: its routes, then {@code hostname/*}. */
    public List<String> matches() {
        List<String> all = new ArrayList<>(routes);
        if (hostname != null) {
            all.add(hostname + "/*");
        }
        return all;
    }

    /**
     * Parses a manifest.
     *
     * @throws UploadException 400 naming the line and what is wrong
     */
    public static BundleManifest parse(byte[] text) {
        String s = new String(text, StandardCharsets.UTF_8);
        Map<String, Object> values = new LinkedHashMap<>();
        String[] lines = s.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = stripComment(lines[i]).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = FILE + " line " + (i + 1);
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw bad(where + ": expected key = value, got: " + Clip.clip(line, 80));
            }
            String key = line.substring(0, eq).strip();
            if (!KEYS.contains(key)) {
                throw bad(
                        where
                                + ": unknown key '"
                                + Clip.clip(key, 40)
                                + "'; valid: "
                                + String.join(", ", KEYS));
            }
            if (values.containsKey(key)) {
                throw bad(where + ": key '" + key + "' is given twice");
            }
            values.put(key, value(line.substring(eq + 1).strip(), where));
        }
        if (values.containsKey("route") && values.containsKey("routes")) {
            throw bad(FILE + ": give route or routes, not both");
        }
        String name = string(values, "name");
        if (name != null) {
            Uploads.checkId(name);
        }
        List<String> routes = new ArrayList<>();
        if (values.get("route") != null) {
            routes.add(string(values, "route"));
        }
        Object rs = values.get("routes");
        if (rs != null) {
            if (!(rs instanceof List<?> l)) {
                throw bad(FILE + ": routes must be an array of strings, e.g. [\"/a/*\"]");
            }
            l.forEach(o -> routes.add((String) o));
        }
        String hostname = string(values, "hostname");
        if (hostname != null
                && !hostname.matches("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9.-]{0,250}[A-Za-z0-9])?")) {
            throw bad(
                    FILE
                            + ": hostname '"
                            + Clip.clip(hostname, 80)
                            + "' is not a host name like demo.example.com (no scheme, port or"
                            + " path)");
        }
        String ttl = string(values, "ttl");
        Duration lifetime =
                ttl == null
                        ? null
                        : Settings.parseDuration(
                                ttl, why -> bad(FILE + ": invalid ttl '" + ttl + "': " + why));
        Object kv = values.get("kv");
        if (kv != null && !(kv instanceof Boolean)) {
            throw bad(FILE + ": kv must be true or false");
        }
        string(values, "lang");
        return new BundleManifest(name, routes, hostname, lifetime, kv == null || (Boolean) kv);
    }

    private static String string(Map<String, Object> values, String key) {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw bad(FILE + ": " + key + " must be a string in double quotes");
        }
        return s;
    }

    /** A basic string, a boolean or a one-line array of basic strings. */
    private static Object value(String v, String where) {
        if (v.equals("true") || v.equals("false")) {
            return Boolean.valueOf(v);
        }
        if (v.startsWith("\"")) {
            int[] end = new int[1];
            String s = basicString(v, 0, end, where);
            if (end[0] != v.length()) {
                throw bad(where + ": text after the string: " + Clip.clip(v, 80));
            }
            return s;
        }
        if (v.startsWith("[") && v.endsWith("]")) {
            List<String> items = new ArrayList<>();
            String inner = v.substring(1, v.length() - 1).strip();
            int i = 0;
            while (i < inner.length()) {
                int[] end = new int[1];
                items.add(basicString(inner, i, end, where));
                i = end[0];
                while (i < inner.length() && Character.isWhitespace(inner.charAt(i))) {
                    i++;
                }
                if (i < inner.length()) {
                    if (inner.charAt(i) != ',') {
                        throw bad(where + ": expected ',' between the array's strings");
                    }
                    i++;
                    while (i < inner.length() && Character.isWhitespace(inner.charAt(i))) {
                        i++;
                    }
                }
            }
            return items;
        }
        throw bad(
                where
                        + ": a value is a \"string\", true, false or [\"an\", \"array\"], got: "
                        + Clip.clip(v, 80));
    }

    private static String basicString(String v, int from, int[] end, String where) {
        if (from >= v.length() || v.charAt(from) != '"') {
            throw bad(where + ": expected a \"string\"");
        }
        StringBuilder b = new StringBuilder();
        for (int i = from + 1; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"') {
                end[0] = i + 1;
                return b.toString();
            }
            if (c == '\\') {
                if (i + 1 >= v.length()) {
                    break;
                }
                char e = v.charAt(++i);
                switch (e) {
                    case '"', '\\' -> b.append(e);
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    default -> throw bad(where + ": unsupported escape \\" + e);
                }
            } else {
                b.append(c);
            }
        }
        throw bad(where + ": the string is not closed");
    }

    /** The line without a {@code #} comment outside a string. */
    private static String stripComment(String line) {
        boolean inString = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && inString) {
                i++;
            } else if (c == '"') {
                inString = !inString;
            } else if (c == '#' && !inString) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    private static UploadException bad(String message) {
        return new UploadException(400, "bundle: " + message);
    }
}
