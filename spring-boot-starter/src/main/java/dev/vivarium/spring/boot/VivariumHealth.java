package dev.vivarium.spring.boot;

import dev.vivarium.core.Health;
import dev.vivarium.core.Vivarium;
import dev.vivarium.servlet.VivariumFilter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the Actuator health indicators report, independent of Boot's health API (which moved between
 * Boot 3 and 4): core's {@link Vivarium#health()}, the same checks {@code health.path} answers
 * (engine, deployments, KV backend, watchdog, expiry), up when every check is up.
 *
 * @param up whether the engine is ready ({@link Health#ready()})
 * @param details each check's status and detail by name, and the routes, for operators
 */
public record VivariumHealth(boolean up, Map<String, Object> details) {
    public VivariumHealth {
        details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public static VivariumHealth of(VivariumFilter filter) {
        Vivarium engine = filter.engine();
        Map<String, Object> details = new LinkedHashMap<>();
        if (engine == null) {
            details.put("engine", Map.of("status", "DOWN", "detail", "not started"));
            return new VivariumHealth(false, details);
        }
        Health health = engine.health();
        health.checks()
                .forEach(
                        (name, check) -> {
                            Map<String, Object> c = new LinkedHashMap<>();
                            c.put("status", check.up() ? "UP" : "DOWN");
                            c.put("detail", check.detail());
                            details.put(name, c);
                        });
        details.put("routes", engine.routes().stream().map(String::valueOf).toList());
        return new VivariumHealth(health.ready(), details);
    }
}
