package dev.vivarium.core.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raw {@code name -> value} settings (filter init-params, handler setters, {@code jetty.vivarium.*}
 * properties) with typed readers whose errors name the setting, the value and what is valid. Every
 * name read is remembered, so {@link #rejectUnknown()} can refuse typos.
 */
public final class Settings {
    private static final Pattern DURATION =
            Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);
    private static final Pattern SIZE =
            Pattern.compile("(\\d+)\\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?", Pattern.CASE_INSENSITIVE);

    /** The longest duration a setting takes: {@code Long.MAX_VALUE} nanoseconds (106751d). */
    public static final Duration LONGEST_DURATION = Duration.ofNanos(Long.MAX_VALUE);

    private final Map<String, String> values;
    private final Set<String> known = new TreeSet<>();

    public Settings(Map<String, String> values) {
        this.values = new LinkedHashMap<>();
        values.forEach(
                (k, v) -> {
                    if (v != null && !v.isBlank()) {
                        this.values.put(k.trim(), v.trim());
                    }
                });
    }

    /** The raw value, or null; marks {@code name} as known. */
    public String string(String name) {
        known.add(name);
        return values.get(name);
    }

    public String string(String name, String defaultValue) {
        String v = string(name);
        return v == null ? defaultValue : v;
    }

    public Duration duration(String name, Duration defaultValue) {
        String v = string(name);
        return v == null ? defaultValue : parseDuration(name, v);
    }

    public long size(String name, long defaultValue) {
        String v = string(name);
        return v == null ? defaultValue : parseSize(name, v);
    }

    public int integer(String name, int defaultValue, int min, int max) {
        String v = string(name);
        return v == null ? defaultValue : parseInt(name, v, min, max);
    }

    public boolean bool(String name, boolean defaultValue) {
        String v = string(name);
        if (v == null) {
            return defaultValue;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw bad(name, v, "true or false");
        };
    }

    /** Fails if any setting was given that no reader asked for (a typo or an unknown name). */
    public void rejectUnknown() {
        for (String name : values.keySet()) {
            if (!known.contains(name)) {
                throw new ConfigurationException(
                        "unknown Vivarium setting '" + name + "'; valid settings are: " + known);
            }
        }
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
