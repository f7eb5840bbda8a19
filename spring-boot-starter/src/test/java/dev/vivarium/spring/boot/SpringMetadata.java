package dev.vivarium.spring.boot;

import java.util.List;

/**
 * Writes {@code META-INF/spring-configuration-metadata.json} from {@link VivariumSettings}: the
 * committed file is this method's output, which a test checks, so completion in the IDE cannot
 * drift from what the starter binds.
 */
final class SpringMetadata {
    static final String SOURCE = "dev.vivarium.spring.boot.VivariumSettings";
    static final String HEALTH_ENABLED = "management.health.vivarium.enabled";

    private SpringMetadata() {}

    static String json() {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"groups\": [\n");
        sb.append("    {\n      \"name\": \"vivarium\",\n");
        sb.append("      \"type\": \"").append(SOURCE).append("\",\n");
        sb.append("      \"description\": \"Vivarium: WebAssembly guests in the servlet filter.\"");
        sb.append("\n    }\n  ],\n  \"properties\": [\n");
        List<VivariumSetting> all = VivariumSettings.all();
        for (int i = 0; i < all.size(); i++) {
            VivariumSetting s = all.get(i);
            property(sb, s.property(), s.type(), s.description(), s.defaultValue(), s.list());
            sb.append(",\n");
        }
        property(
                sb,
                HEALTH_ENABLED,
                "java.lang.Boolean",
                "Whether the Actuator health indicator 'vivarium' is on.",
                "true",
                false);
        sb.append("\n  ]\n}\n");
        return sb.toString();
    }

    private static void property(
            StringBuilder sb,
            String name,
            String type,
            String description,
            String defaultValue,
            boolean list) {
        sb.append("    {\n");
        sb.append("      \"name\": ").append(quote(name)).append(",\n");
        sb.append("      \"type\": ").append(quote(type)).append(",\n");
        sb.append("      \"description\": ").append(quote(description));
        if (!name.startsWith("management.")) {
            sb.append(",\n      \"sourceType\": ").append(quote(SOURCE));
        }
        if (defaultValue != null) {
            sb.append(",\n      \"defaultValue\": ");
            if (list) {
                sb.append('[').append(quote(defaultValue)).append(']');
            } else if (type.equals("java.lang.Boolean") || type.equals("java.lang.Integer")) {
                sb.append(defaultValue);
            } else {
                sb.append(quote(defaultValue));
            }
        }
        sb.append("\n    }");
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
