package dev.vivarium.core.kv;

import java.util.List;

/**
 * Makes a {@link KvBackend} by name. Providers are found with {@link java.util.ServiceLoader}: a
 * module adds a backend by being on the classpath with a {@code
 * META-INF/services/dev.vivarium.core.kv.KvBackendProvider} file naming its provider class (which
 * has a public no-argument constructor). See {@link KvBackends}.
 */
public interface KvBackendProvider {
    /** The value of {@code kv.backend} that selects this backend, e.g. {@code mapdb}. */
    String name();

    /**
     * The names of the backend's own settings, beyond the {@code kv.*} settings every backend
     * shares (e.g. {@code kv.jdbc.url}): read from the configuration and handed over as {@link
     * KvOptions#backendSettings()}; a setting nobody declares is refused as unknown.
     */
    default List<String> settings() {
        return List.of();
    }

    /**
     * Opens the backend.
     *
     * @throws dev.vivarium.core.config.ConfigurationException naming the setting, if one is wrong
     * @throws KvUnavailableException if the backend cannot be reached or used at all
     */
    KvBackend open(KvBackendContext context);
}
