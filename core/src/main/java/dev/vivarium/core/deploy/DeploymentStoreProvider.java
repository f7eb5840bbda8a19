package dev.vivarium.core.deploy;

import java.util.List;
import java.util.Map;

/**
 * Makes a {@link DeploymentRepository} for {@code deployments.store=NAME}. Providers are found with
 * {@link java.util.ServiceLoader}, as KV backends are: a module adds a store by being on the
 * classpath with a {@code META-INF/services/dev.vivarium.core.deploy.DeploymentStoreProvider} file
 * naming its provider class (public, no-argument constructor). See {@link DeploymentStores}.
 */
public interface DeploymentStoreProvider {
    /** The value of {@code deployments.store} that selects this store, e.g. {@code postgresql}. */
    String name();

    /**
     * The names of the store's own settings (e.g. {@code deployments.jdbc.url}): read from the
     * configuration and handed to {@link #open}; a setting nobody declares is refused as unknown.
     */
    default List<String> settings() {
        return List.of();
    }

    /**
     * Opens the store.
     *
     * @param settings the store's own settings that were given, by name
     * @throws dev.vivarium.core.config.ConfigurationException naming the setting, if one is wrong
     *     or the store cannot be reached
     */
    DeploymentRepository open(Map<String, String> settings);
}
