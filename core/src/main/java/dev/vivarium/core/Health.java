package dev.vivarium.core;

import dev.vivarium.core.deploy.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code health.path} (default {@code /__health}) answers: liveness (the engine answers at
 * all) and readiness (every check up), as JSON:
 *
 * <pre>{@code
 * {"status":"UP","live":true,"ready":true,"checks":{
 *   "engine":{"status":"UP","detail":"started"},
 *   "deployments":{"status":"UP","detail":"2 deployments, 3 routes"},
 *   "kv":{"status":"UP","detail":"mapdb: ..."},
 *   "watchdog":{"status":"UP","detail":"running"},
 *   "expiry":{"status":"UP","detail":"deployments and KV expiry scheduled"}}}
 * }</pre>
 *
 * <p>The HTTP status is 200 when ready, 503 when not.
 *
 * @param checks each check by name, in the order above
 */
public record Health(Map<String, Check> checks) {
    /** One check: whether it is up, and a line saying why (what failed, or what it saw). */
    public record Check(boolean up, String detail) {
        public Check {
            Objects.requireNonNull(detail, "detail");
        }
    }

    public Health {
        checks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(checks));
    }

    /** Whether every check is up: the engine can serve. */
    public boolean ready() {
        return checks.values().stream().allMatch(Check::up);
    }

    /** 200 when ready, 503 when not. */
    public int httpStatus() {
        return ready() ? 200 : 503;
    }

    public String toJson() {
        StringBuilder b = new StringBuilder();
        b.append("{\"status\":")
                .append(ready() ? "\"UP\"" : "\"DOWN\"")
                .append(",\"live\":true,\"ready\":")
                .append(ready())
                .append(",\"checks\":{");
        boolean first = true;
        for (Map.Entry<String, Check> e : checks.entrySet()) {
            if (!first) {
                b.append(',');
            }
            first = false;
            b.append(Json.string(e.getKey()))
                    .append(":{\"status\":")
                    .append(e.getValue().up() ? "\"UP\"" : "\"DOWN\"")
                    .append(",\"detail\":")
                    .append(Json.string(e.getValue().detail()))
                    .append('}');
        }
        return b.append("}}").toString();
    }
}
