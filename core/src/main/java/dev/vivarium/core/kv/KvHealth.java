package dev.vivarium.core.kv;

import java.util.Objects;

/**
 * Whether a backend can serve now, for a health endpoint or a readiness check: for a remote backend
 * whether it is reachable, for the embedded one whether its directory is usable.
 *
 * @param reachable whether operations can succeed now
 * @param detail what was checked, or why it failed (for operators, not for clients)
 */
public record KvHealth(boolean reachable, String detail) {
    public KvHealth {
        Objects.requireNonNull(detail, "detail");
    }

    public static KvHealth up(String detail) {
        return new KvHealth(true, detail);
    }

    public static KvHealth down(String detail) {
        return new KvHealth(false, detail);
    }
}
