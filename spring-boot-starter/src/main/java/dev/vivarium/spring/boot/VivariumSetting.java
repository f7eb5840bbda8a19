package dev.vivarium.spring.boot;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One Vivarium setting as a Spring property: the filter init-param {@code name} (as in {@link
 * dev.vivarium.core.VivariumOptions}) is {@code vivarium.<name>} in kebab case, e.g. {@code
 * kv.maxKeySize} is {@code vivarium.kv.max-key-size}; Boot's relaxed binding also takes {@code
 * vivarium.kv.maxKeySize} and {@code VIVARIUM_KV_MAXKEYSIZE}.
 *
 * @param name the init-param name, e.g. {@code kv.maxKeySize}
 * @param type the Java type shown in the configuration metadata
 * @param list whether Spring may give it as a list (joined with {@code ", "} for the filter)
 * @param defaultValue the default as the metadata shows it, or null when it depends on the host
 * @param description one sentence for IDE completion
 */
public record VivariumSetting(
        String name, String type, boolean list, String defaultValue, String description) {
    public VivariumSetting {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
    }

    /** {@code vivarium.} and the name in kebab case: {@code vivarium.kv.max-key-size}. */
    public String property() {
        return VivariumSettings.PREFIX + "." + kebab(name);
    }

    static String kebab(String name) {
        StringBuilder sb = new StringBuilder(name.length() + 8);
        for (char c : name.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('-').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    static VivariumSetting string(String name, String defaultValue, String description) {
        return new VivariumSetting(name, "java.lang.String", false, defaultValue, description);
    }

    static List<String> names(List<VivariumSetting> settings) {
        return settings.stream().map(VivariumSetting::name).toList();
    }
}
