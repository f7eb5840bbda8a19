package dev.vivarium.core.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raw {@code name -> value} settings (filter init-params, handler setters, {@code jetty.vivarium.*}
 * properties), read through the declarations of {@link VivariumSettings}: errors name the setting,
 * the value and what is valid. Placeholders ({@code ${env.NAME}}, {@code ${sys.NAME}}) are resolved
 * when the settings are made ({@link Placeholders}).
 */
public final class Settings {
    private static final Pattern DURATION =
            Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);
    private static final Pattern SIZE =
            Pattern.compile("(\\d+)\\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?", Pattern.CASE_INSENSITIVE);

    /** The longest duration a setting takes: {@code Long.MAX_VALUE} nanoseconds (106751d). */
    public static final Duration LONGEST_DURATION = Duration.ofNanos(Long.MAX_VALUE);

    private final Map<String, String> values;
    private final Set<String> read = new LinkedHashSet<>();
    private final Set<String> pluginNames = new LinkedHashSet<>();

    /** The given settings, placeholders resolved from the environment and system properties. */
    public Settings(Map<String, String> values) {
        this(values, Placeholders.system());
    }

    /**
     * @param placeholders resolves {@code ${env.NAME}} and {@code ${sys.NAME}} in the values
     * @throws ConfigurationException for a placeholder that cannot be resolved
     */
    public Settings(Map<String, String> values, Placeholders placeholders) {
        this.values = new LinkedHashMap<>();
        values.forEach(
                (k, v) -> {
                    if (v != null) {
                        String name = k.trim();
                        String value = placeholders.resolve(name, v).trim();
                        if (!value.isEmpty()) {
                            this.values.put(name, value);
                        }
                    }
                });
    }

    /**
     * The given value of {@code setting}, parsed, or its parsed default; null when neither is there
     * (no default, or one computed at start).
     */
    public <T> T get(Setting<T> setting) {
        String v = raw(setting);
        return v == null ? setting.defaultParsed() : setting.parse(v);
    }

    /** Whether {@code setting} was given. */
    public boolean isSet(Setting<?> setting) {
        return raw(setting) != null;
    }

    /** The value as given (placeholders resolved), or null. */
    public String raw(Setting<?> setting) {
        if (VivariumSettings.named(setting.name()) != setting) {
            throw new IllegalArgumentException(
                    "setting '" + setting.name() + "' is not declared in VivariumSettings");
        }
        read.add(setting.name());
        return values.get(setting.name());
    }

    /**
     * The value as given of a setting a plug-in declares rather than {@link VivariumSettings} (a KV
     * backend's own settings, say), or null; {@link #rejectUnknown()} then accepts the name.
     *
     * @param owner who declares it, for messages (e.g. {@code "jdbc backend"})
     */
    public String declaredBy(String owner, String name) {
        if (VivariumSettings.named(name) != null) {
            throw new IllegalArgumentException(
                    owner + " declares '" + name + "', a setting VivariumSettings already has");
        }
        pluginNames.add(name);
        return values.get(name);
    }

    /** The names of the settings read so far, given or not (for tests of the parsers). */
    public Set<String> read() {
        return Collections.unmodifiableSet(read);
    }

    /**
     * Fails if any setting was given that is not declared (a typo or an unknown name), naming the
     * closest valid name and listing them all.
     */
    public void rejectUnknown() {
        List<String> valid = new ArrayList<>(VivariumSettings.names());
        valid.addAll(pluginNames);
        for (String name : values.keySet()) {
            if (VivariumSettings.named(name) == null && !pluginNames.contains(name)) {
                String close = closest(name, valid);
                throw new ConfigurationException(
                        "unknown Vivarium setting '"
                                + name
                                + "'"
                                + (close == null ? "" : " (did you mean '" + close + "'?)")
                                + "; valid settings are: "
                                + new TreeSet<>(valid));
            }
        }
    }

    /** The valid name nearest to {@code name} (case, or two edits), or null. */
    private static String closest(String name, List<String> valid) {
        String best = null;
        int bestDistance = 3;
        for (String v : valid) {
            int d = v.equalsIgnoreCase(name) ? 0 : distance(name, v);
            if (d < bestDistance) {
                best = v;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    public static Duration parseDuration(String name, String v) {
        return parseDuration(v, why -> invalid(name, v, why));
    }

    /**
     * Parses a duration such as {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h} or {@code 7d}; at
     * most {@link #LONGEST_DURATION} (time is counted in nanoseconds, in a {@code long}).
     *
     * @param error turns what is wrong with {@code v} (e.g. {@code "too large; ..."}) into the
     *     exception to throw, for callers whose values are not settings
     */
    public static Duration parseDuration(
            String v, Function<String, ? extends RuntimeException> error) {
        Matcher m = DURATION.matcher(v.trim());
        if (!m.matches()) {
            throw error.apply("expected a duration such as 500ms, 2s, 5m, 1h or 7d");
        }
        Duration d;
        try {
            long n = Long.parseLong(m.group(1));
            d =
                    switch (m.group(2).toLowerCase(Locale.ROOT)) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        default -> Duration.ofDays(n);
                    };
        } catch (NumberFormatException | ArithmeticException e) {
            d = null; // only digits matched: the number does not fit
        }
        if (d == null || d.compareTo(LONGEST_DURATION) > 0) {
            throw error.apply("too large; the longest duration is 106751d (about 292 years)");
        }
        if (d.isZero()) {
            throw error.apply("expected a duration greater than zero");
        }
        return d;
    }

    /**
     * Bytes, with an optional binary unit: {@code 1024}, {@code 64KB}, {@code 8MB}, {@code 1GB}.
     */
    public static long parseSize(String name, String v) {
        Matcher m = SIZE.matcher(v.trim());
        if (!m.matches()) {
            throw bad(
                    name, v, "a size in bytes such as 65536, 64KB, 8MB or 1GB (1KB = 1024 bytes)");
        }
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift =
                switch (unit.charAt(0)) {
                    case 'k' -> 10;
                    case 'm' -> 20;
                    case 'g' -> 30;
                    default -> 0;
                };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            n = -1; // only digits matched: the number does not fit
        }
        if (n < 0 || n > Long.MAX_VALUE >> shift) {
            throw invalid(
                    name,
                    v,
                    "too large; the largest size is 9223372036854775807 bytes (just under 8 EiB)");
        }
        return n << shift;
    }

    public static int parseInt(String name, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the common message
        }
        throw bad(name, v, "a whole number from " + min + " to " + max);
    }

    public static ConfigurationException bad(String name, String value, String expected) {
        return invalid(name, value, "expected " + expected);
    }

    private static ConfigurationException invalid(String name, String value, String why) {
        return new ConfigurationException(
                "invalid value '" + value + "' for Vivarium setting '" + name + "': " + why);
    }
}
