package dev.vivarium.spring.boot;

import dev.vivarium.core.Vivarium;
import dev.vivarium.core.kv.KvHealth;
import dev.vivarium.servlet.VivariumFilter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the Actuator health indicators report, independent of Boot's health API (which moved between
 * Boot 3 and 4): up when the engine runs and its KV backend is reachable.
 *
 * @param up whether the engine serves
 * @param details engine state for operators: routes, uploaded deployments, KV backend
 */
public record VivariumHealth(boolean up, Map<String, Object> details) {
    public VivariumHealth {
        details = Map.copyOf(details);
    }

    public static VivariumHealth of(VivariumFilter filter) {
        Vivarium engine = filter.engine();
        Map<String, Object> details = new LinkedHashMap<>();
        if (engine == null) {
            details.put("engine", "not started");
            return new VivariumHealth(false, details);
        }
        details.put("engine", "started");
        details.put("routes", engine.routes().stream().map(String::valueOf).toList());
        details.put("deployments", engine.uploads().count());
        details.put("memoryUsed", engine.memoryUsed());
        KvHealth kv;
        try {
            kv = engine.kvStores().health();
        } catch (RuntimeException e) {
            kv = KvHealth.down("health check failed: " + e);
        }
        details.put("kv.backend", engine.kvStores().backendName());
        details.put("kv.reachable", kv.reachable());
        details.put("kv.detail", kv.detail());
        return new VivariumHealth(kv.reachable(), details);
    }
}
