package dev.vivarium.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One Vivarium setting as declared in {@link VivariumSettings}: its name (the filter's init-param,
 * the handler's {@code setSetting} name, the {@code jetty.vivarium.<name>} property), its kind of
 * value, its default, its unit and one line of documentation. {@link Settings#get} parses a given
 * value, or the default, with it; the Jetty module files and {@code docs/configuration.md} are
 * rendered from it ({@link SettingsDocs}).
 *
 * @param name the setting's name, e.g. {@code kv.maxKeySize}
 * @param kind how a value is parsed and what is valid
 * @param defaultValue the default, written as a user would write it (e.g. {@code 10s}), parsed like
 *     a given value; null when there is none or it is computed at start
 * @param defaultText how the default reads in the docs when it is not a plain value (e.g. {@code 2
 *     × CPUs}); null to show {@code defaultValue}
 * @param unit what a number counts, when the kind does not say it (e.g. {@code 64 KiB pages})
 * @param doc one line: what the setting does
 * @param example the value the Jetty {@code [ini-template]} shows, commented out, when it is not
 *     the default; null to show the default
 * @param <T> the parsed value's type
 */
public record Setting<T>(
        String name,
        Kind<T> kind,
        String defaultValue,
        String defaultText,
        String unit,
        String doc,
        String example) {

    public Setting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(doc, "doc");
        if (doc.contains("\n")) {
            throw new IllegalArgumentException(name + ": doc is one line");
        }
        if (defaultValue != null) {
            kind.parse(name, defaultValue); // a default that does not parse is a bug here
        }
    }

    /** A setting with the given default ({@code null}: none) and no unit or example. */
    public static <T> Setting<T> of(String name, Kind<T> kind, String defaultValue, String doc) {
        return new Setting<>(name, kind, defaultValue, null, null, doc, null);
    }

    /** This setting with its default described in words (computed at start, or the adapter's). */
    public Setting<T> defaultText(String text) {
        return new Setting<>(name, kind, defaultValue, text, unit, doc, example);
    }

    /** This setting with the unit its numbers count. */
    public Setting<T> unit(String unit) {
        return new Setting<>(name, kind, defaultValue, defaultText, unit, doc, example);
    }

    /** This setting with the value the Jetty {@code [ini-template]} shows. */
    public Setting<T> example(String example) {
        kind.parse(name, example);
        return new Setting<>(name, kind, defaultValue, defaultText, unit, doc, example);
    }

    /** The parsed default, or null when there is none or it is computed at start. */
    public T defaultParsed() {
        return defaultValue == null ? null : kind.parse(name, defaultValue);
    }

    /** Parses {@code value} as this setting; the error names the setting, value and what fits. */
    public T parse(String value) {
        return kind.parse(name, value);
    }

    /** The default as the docs show it. */
    public String defaultForDocs() {
        if (defaultText != null) {
            return defaultText;
        }
        return defaultValue == null ? "(none)" : defaultValue;
    }

    /** Parses the text of a value; {@code name} is the setting's, for the message. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(String name, String value);
    }

    /**
     * A kind of value: how it is parsed and what is valid, for messages and docs.
     *
     * @param name short name for the docs: text, duration, size, integer, ...
     * @param valid what a valid value looks like, one phrase
     * @param isPath whether the value is a file or directory (the Jetty module resolves it against
     *     {@code jetty.base})
     */
    public record Kind<T>(String name, String valid, boolean isPath, Parser<T> parser) {
        public T parse(String setting, String value) {
            return parser.parse(setting, value.trim());
        }

        /** Any text. */
        public static Kind<String> text(String valid) {
            return new Kind<>("text", valid, false, (n, v) -> v);
        }

        /** Text that must not be shown: a token or a password (dumps and logs mask it). */
        public static Kind<String> secret(String valid) {
            return new Kind<>("secret", valid, false, (n, v) -> v);
        }

        /** Whether values of this kind are masked when settings are shown. */
        public boolean secret() {
            return name.equals("secret");
        }

        /**
         * A file or directory ({@code valid} says which), relative to the adapter's base when not
         * absolute.
         */
        public static Kind<Path> path(String valid) {
            return new Kind<>(
                    "path",
                    valid,
                    true,
                    (n, v) -> {
                        try {
                            return Path.of(v);
                        } catch (java.nio.file.InvalidPathException e) {
                            throw Settings.bad(n, v, valid + " (" + e.getReason() + ")");
                        }
                    });
        }

        /** {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 7d}; greater than zero. */
        public static Kind<Duration> duration() {
            return new Kind<>(
                    "duration",
                    "a duration such as 500ms, 2s, 5m, 1h or 7d",
                    false,
                    Settings::parseDuration);
        }

        /** Bytes with an optional binary unit, from {@code min} to {@code max}. */
        public static Kind<Long> size(long min, long max) {
            String range;
            if (max == Long.MAX_VALUE) {
                range = min == 0 ? "a size in bytes" : "a size of " + bytes(min) + " or more";
            } else {
                range = "a size from " + bytes(min) + " to " + bytes(max);
            }
            return new Kind<>(
                    "size",
                    range + " (KB, MB, GB: 1024)",
                    false,
                    (n, v) -> {
                        long s = Settings.parseSize(n, v);
                        if (s < min || s > max) {
                            throw Settings.bad(n, v, range);
                        }
                        return s;
                    });
        }

        /** A whole number from {@code min} to {@code max}. */
        public static Kind<Integer> integer(int min, int max) {
            return new Kind<>(
                    "integer",
                    "a whole number from " + min + " to " + max,
                    false,
                    (n, v) -> Settings.parseInt(n, v, min, max));
        }

        /** {@code true} or {@code false} ({@code yes}/{@code no}, {@code on}/{@code off}). */
        public static Kind<Boolean> bool() {
            return new Kind<>(
                    "boolean",
                    "true or false",
                    false,
                    (n, v) ->
                            switch (v.toLowerCase(Locale.ROOT)) {
                                case "true", "yes", "on" -> true;
                                case "false", "no", "off" -> false;
                                default -> throw Settings.bad(n, v, "true or false");
                            });
        }

        /** Entries separated by spaces or commas; {@code valid} says what one entry is. */
        public static Kind<List<String>> list(String valid) {
            return new Kind<>(
                    "list",
                    valid + ", separated by spaces or commas",
                    false,
                    (n, v) -> v.isEmpty() ? List.of() : Arrays.asList(v.split("[\\s,]+")));
        }

        /** One of {@code values}, ignoring case; parsed to the lower-case value. */
        public static Kind<String> oneOf(String... values) {
            List<String> all = List.of(values);
            return new Kind<>(
                    "choice",
                    "one of " + String.join(", ", all),
                    false,
                    (n, v) -> {
                        String lower = v.toLowerCase(Locale.ROOT);
                        if (!all.contains(lower)) {
                            throw Settings.bad(n, v, "one of " + String.join(", ", all));
                        }
                        return lower;
                    });
        }

        private static String bytes(long n) {
            if (n >= 1024 && Long.numberOfTrailingZeros(n) >= 30) {
                return (n >> 30) + "GB";
            }
            if (n >= 1024 && Long.numberOfTrailingZeros(n) >= 20) {
                return (n >> 20) + "MB";
            }
            if (n >= 1024 && Long.numberOfTrailingZeros(n) >= 10) {
                return (n >> 10) + "KB";
            }
            return n + (n == 1 ? " byte" : " bytes");
        }
    }
}
