package dev.vivarium.core.kv;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;

/**
 * What a {@link KvBackendProvider} gets to open its backend.
 *
 * @param options the {@code kv.*} settings, with the backend's own in {@link
 *     KvOptions#backendSettings()}
 * @param registry where the backend may register meters of its own (connection pool, latency)
 */
public record KvBackendContext(KvOptions options, MeterRegistry registry) {
    public KvBackendContext {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(registry, "registry");
    }
}
