package dev.vivarium.core.testing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), written from its rules
 * so that a test can tell whether a scrape would be accepted: {@code # HELP} and {@code # TYPE}
 * lines, sample lines {@code name{label="value",...} value [timestamp]}, label values with the
 * escapes {@code \\}, {@code \"} and {@code \n}, every family's lines in one group after its TYPE,
 * no sample twice, and a histogram's buckets ending at {@code +Inf} with its count. Anything else
 * fails with the line number and what was wrong.
 */
public final class PrometheusText {
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES =
            Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {}

    /** One metric family: its TYPE, HELP (or null) and samples, in the order given. */
    public record Family(String name, String type, String help, List<Sample> samples) {
        /** The label names used by its samples, leaving out a histogram's {@code le}. */
        public Set<String> labelNames() {
            Set<String> out = new HashSet<>();
            samples.forEach(s -> out.addAll(s.labels().keySet()));
            out.remove("le");
            out.remove("quantile");
            return out;
        }

        /** The value of the sample named {@code sample} with exactly these labels, or null. */
        public Double value(String sample, Map<String, String> labels) {
            for (Sample s : samples) {
                if (s.name().equals(sample) && s.labels().equals(labels)) {
                    return s.value();
                }
            }
            return null;
        }
    }

    /** A scrape that breaks the format. */
    public static final class FormatException extends RuntimeException {
        FormatException(int line, String text, String why) {
            super("line " + line + " '" + text + "': " + why);
        }
    }

    private PrometheusText() {}

    /** Parses a whole scrape; the families by name, in the order they appear. */
    public static Map<String, Family> parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new FormatException(0, "", "the exposition must end with a line feed");
        }
        Map<String, Family> families = new LinkedHashMap<>();
        Map<String, String> helps = new LinkedHashMap<>();
        Set<String> seenSamples = new HashSet<>();
        Family current = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length - (text.isEmpty() ? 0 : 1); i++) {
            String line = lines[i];
            int n = i + 1;
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] t = line.split(" ", 4);
                if (t.length >= 3 && t[1].equals("HELP")) {
                    checkName(t[2], n, line);
                    if (helps.put(t[2], unescapeHelp(t.length == 4 ? t[3] : "", n, line)) != null) {
                        throw new FormatException(n, line, "a second HELP for " + t[2]);
                    }
                } else if (t.length >= 3 && t[1].equals("TYPE")) {
                    checkName(t[2], n, line);
                    if (t.length != 4 || !TYPES.contains(t[3])) {
                        throw new FormatException(n, line, "TYPE must be one of " + TYPES);
                    }
                    if (families.containsKey(t[2])) {
                        throw new FormatException(n, line, "a second TYPE for " + t[2]);
                    }
                    current = new Family(t[2], t[3], null, new ArrayList<>());
                    families.put(t[2], current);
                }
                // any other # line is a comment
                continue;
            }
            Sample s = sample(line, n);
            if (current == null || !belongs(s.name(), current)) {
                throw new FormatException(
                        n,
                        line,
                        "a sample outside its family's group (after its # TYPE line)"
                                + (families.values().stream().anyMatch(f -> belongs(s.name(), f))
                                        ? ": the family's lines must be contiguous"
                                        : ""));
            }
            if (!seenSamples.add(s.name() + s.labels())) {
                throw new FormatException(n, line, "the same sample twice");
            }
            if (s.name().endsWith("_bucket") && current.type().equals("histogram")) {
                if (!s.labels().containsKey("le")) {
                    throw new FormatException(n, line, "a histogram bucket needs an 'le' label");
                }
            }
            current.samples().add(s);
        }
        Map<String, Family> out = new LinkedHashMap<>();
        for (Family f : families.values()) {
            if (f.type().equals("histogram")) {
                checkHistogram(f);
            }
            out.put(f.name(), new Family(f.name(), f.type(), helps.get(f.name()), f.samples()));
        }
        return out;
    }

    private static boolean belongs(String sample, Family f) {
        if (sample.equals(f.name())) {
            return true;
        }
        if (f.type().equals("histogram")) {
            return sample.equals(f.name() + "_bucket")
                    || sample.equals(f.name() + "_sum")
                    || sample.equals(f.name() + "_count");
        }
        if (f.type().equals("summary")) {
            return sample.equals(f.name() + "_sum") || sample.equals(f.name() + "_count");
        }
        return false;
    }

    /** Per label set: the buckets go up, the last is +Inf, and it equals the count. */
    private static void checkHistogram(Family f) {
        Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
        for (Sample s : f.samples()) {
            if (s.name().endsWith("_bucket")) {
                Map<String, String> rest = new LinkedHashMap<>(s.labels());
                rest.remove("le");
                buckets.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
            }
        }
        buckets.forEach(
                (labels, bs) -> {
                    double last = -1;
                    double lastLe = Double.NEGATIVE_INFINITY;
                    for (Sample b : bs) {
                        double le = number(b.labels().get("le"), 0, b.toString());
                        if (le <= lastLe || b.value() < last) {
                            throw new FormatException(
                                    0, b.toString(), "histogram buckets must rise in le and count");
                        }
                        lastLe = le;
                        last = b.value();
                    }
                    if (lastLe != Double.POSITIVE_INFINITY) {
                        throw new FormatException(
                                0, f.name() + labels, "a histogram needs an le=\"+Inf\" bucket");
                    }
                    Double count = f.value(f.name() + "_count", labels);
                    if (count == null || count != last) {
                        throw new FormatException(
                                0, f.name() + labels, "the +Inf bucket must equal _count");
                    }
                });
    }

    private static Sample sample(String line, int n) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        checkName(name, n, line);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (true) {
                if (i < line.length() && line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int eq = line.indexOf('=', i);
                if (eq < 0) {
                    throw new FormatException(n, line, "a label needs name=\"value\"");
                }
                String label = line.substring(i, eq);
                if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
                    throw new FormatException(n, line, "bad label name '" + label + "'");
                }
                if (eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
                    throw new FormatException(n, line, "a label value must be quoted");
                }
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (true) {
                    if (j >= line.length()) {
                        throw new FormatException(n, line, "an unterminated label value");
                    }
                    char c = line.charAt(j);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        char e = j + 1 < line.length() ? line.charAt(j + 1) : 0;
                        switch (e) {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default ->
                                    throw new FormatException(
                                            n, line, "bad escape in a label value: \\" + e);
                        }
                        j += 2;
                    } else {
                        value.append(c);
                        j++;
                    }
                }
                if (labels.put(label, value.toString()) != null) {
                    throw new FormatException(n, line, "label '" + label + "' given twice");
                }
                i = j + 1;
                if (i < line.length() && line.charAt(i) == ',') {
                    i++;
                } else if (i >= line.length() || line.charAt(i) != '}') {
                    throw new FormatException(n, line, "labels are separated by ','");
                }
            }
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            throw new FormatException(n, line, "a space must separate the sample's value");
        }
        String[] rest = line.substring(i + 1).split(" ", -1);
        if (rest.length < 1 || rest.length > 2) {
            throw new FormatException(n, line, "expected a value and an optional timestamp");
        }
        double value = number(rest[0], n, line);
        if (rest.length == 2) {
            try {
                Long.parseLong(rest[1]);
            } catch (NumberFormatException e) {
                throw new FormatException(n, line, "a timestamp is integer milliseconds");
            }
        }
        return new Sample(name, Map.copyOf(labels), value);
    }

    private static double number(String s, int n, String line) {
        switch (s) {
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            case "NaN":
                return Double.NaN;
            default:
                if (!s.matches("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?")) {
                    throw new FormatException(n, line, "'" + s + "' is not a number");
                }
                return Double.parseDouble(s);
        }
    }

    private static void checkName(String name, int n, String line) {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new FormatException(n, line, "bad metric name '" + name + "'");
        }
    }

    private static String unescapeHelp(String s, int n, String line) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = i + 1 < s.length() ? s.charAt(i + 1) : 0;
            switch (e) {
                case '\\' -> out.append('\\');
                case 'n' -> out.append('\n');
                default -> throw new FormatException(n, line, "bad escape in HELP: \\" + e);
            }
            i++;
        }
        return out.toString();
    }
}
