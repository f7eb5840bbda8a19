package dev.vivarium.core.config;

import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Resolves placeholders in setting values, in every adapter alike (filter init-params, handler
 * settings, {@code jetty.vivarium.*} properties):
 *
 * <ul>
 *   <li>{@code ${env.NAME}}: the environment variable {@code NAME};
 *   <li>{@code ${sys.NAME}}: the system property {@code NAME};
 *   <li>{@code ${env.NAME:default}}, {@code ${sys.NAME:default}}: the same, or {@code default}
 *       (after the first {@code :}, possibly empty) when it is not set;
 *   <li>{@code ${NAME}}, {@code ${NAME:default}}: the older spelling of {@code ${sys.NAME}}, still
 *       read as a system property.
 * </ul>
 *
 * <p>Anything else that starts with <code>${</code> is refused with a message that says what to
 * write: a placeholder never set and without a default, an unclosed one, an empty or nested one,
 * other prefixes (<code>${env:NAME}</code>, as in Log4j, would otherwise read as the system
 * property {@code env} with the default {@code NAME}; <code>${ENV.NAME}</code>) and a default
 * written {@code :-} as in a shell. The forms are those of Spring's placeholders (a default after
 * {@code :}) with the source named, as Jetty's XML names it with {@code <Env>} and {@code
 * <SystemProperty>}.
 */
public final class Placeholders {
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern PROPERTY_NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

    private final UnaryOperator<String> env;
    private final UnaryOperator<String> sys;

    /**
     * @param env the environment variable of a name, or null
     * @param sys the system property of a name, or null
     */
    public Placeholders(UnaryOperator<String> env, UnaryOperator<String> sys) {
        this.env = Objects.requireNonNull(env, "env");
        this.sys = Objects.requireNonNull(sys, "sys");
    }

    /** This process's environment and system properties. */
    public static Placeholders system() {
        return new Placeholders(System::getenv, System::getProperty);
    }

    /**
     * {@code value} with its placeholders replaced.
     *
     * @param setting the setting's name, for the message
     * @throws ConfigurationException naming the setting, the placeholder and what to write
     */
    public String resolve(String setting, String value) {
        int start = value.indexOf("${");
        if (start < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        int from = 0;
        while (start >= 0) {
            int end = value.indexOf('}', start);
            if (end < 0) {
                throw refuse(setting, value, value.substring(start), "is not closed with '}'");
            }
            String placeholder = value.substring(start, end + 1);
            out.append(value, from, start).append(lookUp(setting, value, placeholder));
            from = end + 1;
            start = value.indexOf("${", from);
        }
        return out.append(value, from, value.length()).toString();
    }

    private String lookUp(String setting, String value, String placeholder) {
        String body = placeholder.substring(2, placeholder.length() - 1);
        if (body.contains("${")) {
            throw refuse(
                    setting, value, placeholder, "nests a placeholder, which is not supported");
        }
        int colon = body.indexOf(':');
        String ref = colon < 0 ? body : body.substring(0, colon);
        String fallback = colon < 0 ? null : body.substring(colon + 1);
        int dot = ref.indexOf('.');
        String prefix = dot < 0 ? ref : ref.substring(0, dot);
        boolean env = ref.startsWith("env.");
        boolean sys = ref.startsWith("sys.");
        if (!env && !sys && (prefix.equalsIgnoreCase("env") || prefix.equalsIgnoreCase("sys"))) {
            String source = prefix.toLowerCase(java.util.Locale.ROOT);
            String name = dot >= 0 ? ref.substring(dot + 1) : fallback;
            throw refuse(
                    setting,
                    value,
                    placeholder,
                    "is not a placeholder form Vivarium reads; write ${"
                            + source
                            + "."
                            + (name == null || name.isEmpty() ? "NAME" : name)
                            + "} for the "
                            + (source.equals("env") ? "environment variable" : "system property")
                            + (name == null || name.isEmpty() ? "" : " " + name)
                            + ", with an optional default after ':'");
        }
        if (fallback != null && fallback.startsWith("-")) {
            throw refuse(
                    setting,
                    value,
                    placeholder,
                    "writes its default after ':-' as a shell does; write ${"
                            + ref
                            + ":"
                            + fallback.substring(1)
                            + "} (the default follows the first ':')");
        }
        String name = env || sys ? ref.substring(4) : ref;
        Pattern valid = env ? ENV_NAME : PROPERTY_NAME;
        if (!valid.matcher(name).matches()) {
            throw refuse(
                    setting,
                    value,
                    placeholder,
                    name.isEmpty()
                            ? "names nothing; write ${env.NAME} or ${sys.NAME}"
                            : "'"
                                    + name
                                    + "' is not "
                                    + (env
                                            ? "an environment variable name (letters, digits, '_')"
                                            : "a system property name (letters, digits, '.', '_',"
                                                    + " '-')"));
        }
        String found = env ? this.env.apply(name) : this.sys.apply(name);
        if (found != null) {
            return found;
        }
        if (fallback != null) {
            return fallback;
        }
        String what = env ? "the environment variable " : "the system property ";
        throw refuse(
                setting,
                value,
                placeholder,
                "needs "
                        + what
                        + name
                        + ", which is not set; set it or give a default, as in ${"
                        + ref
                        + ":default}"
                        + (env || sys
                                ? ""
                                : " (for the environment variable write ${env." + name + "})"));
    }

    private static ConfigurationException refuse(
            String setting, String value, String placeholder, String why) {
        return new ConfigurationException(
                "invalid value '"
                        + value
                        + "' for Vivarium setting '"
                        + setting
                        + "': placeholder "
                        + placeholder
                        + " "
                        + why);
    }
}
