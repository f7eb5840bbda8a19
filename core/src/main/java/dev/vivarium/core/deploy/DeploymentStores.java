package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import java.util.Iterator;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the {@link DeploymentStoreProvider} that {@code deployments.store} names. */
public final class DeploymentStores {
    /** The store used when {@code deployments.store} is not set: files, one node. */
    public static final String FILE = "file";

    private static final Logger LOG = LoggerFactory.getLogger(DeploymentStores.class);

    private DeploymentStores() {}

    /** Every store found on the classpath, by name ({@code file} is built in, not listed). */
    public static Map<String, DeploymentStoreProvider> providers() {
        Map<String, DeploymentStoreProvider> found = new TreeMap<>();
        load(DeploymentStoreProvider.class.getClassLoader(), found);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != DeploymentStoreProvider.class.getClassLoader()) {
            load(context, found);
        }
        return found;
    }

    private static void load(ClassLoader loader, Map<String, DeploymentStoreProvider> found) {
        Iterator<DeploymentStoreProvider> it =
                ServiceLoader.load(DeploymentStoreProvider.class, loader).iterator();
        for (int errors = 0; errors < 100; ) {
            try {
                if (!it.hasNext()) {
                    return;
                }
                DeploymentStoreProvider p = it.next();
                found.putIfAbsent(p.name(), p);
            } catch (ServiceConfigurationError e) {
                errors++;
                LOG.warn(
                        "a deployment store on the classpath cannot be loaded: {}", e.getMessage());
            }
        }
    }

    /**
     * The provider of the store named {@code name}, or null for {@link #FILE}.
     *
     * @throws ConfigurationException naming {@code deployments.store} and listing the valid names
     */
    public static DeploymentStoreProvider provider(String name) {
        if (FILE.equals(name)) {
            return null;
        }
        Map<String, DeploymentStoreProvider> all = providers();
        DeploymentStoreProvider p = all.get(name);
        if (p == null) {
            throw new ConfigurationException(
                    "Vivarium setting 'deployments.store': unknown store '"
                            + name
                            + "'; valid stores: "
                            + FILE
                            + (all.isEmpty() ? "" : ", " + String.join(", ", all.keySet()))
                            + (all.isEmpty()
                                    ? " (postgresql needs vivarium-kv-postgresql on the classpath)"
                                    : ""));
        }
        return p;
    }
}
