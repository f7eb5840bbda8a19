package dev.vivarium.core.kv;

import dev.vivarium.core.config.ConfigurationException;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The KV backends on the classpath, by name: every {@link KvBackendProvider} {@link ServiceLoader}
 * finds through core's class loader and the thread's context class loader (a webapp's). Core brings
 * {@code mapdb}; a module such as {@code vivarium-kv-postgresql} adds its own by being present.
 */
public final class KvBackends {
    /** The backend used when {@code kv.backend} is not set. */
    public static final String DEFAULT = "mapdb";

    private KvBackends() {}

    /** Every backend found, sorted by name. */
    public static Map<String, KvBackendProvider> providers() {
        Map<String, KvBackendProvider> found = new TreeMap<>();
        load(KvBackendProvider.class.getClassLoader(), found);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != KvBackendProvider.class.getClassLoader()) {
            load(context, found);
        }
        return found;
    }

    private static void load(ClassLoader loader, Map<String, KvBackendProvider> found) {
        try {
            for (KvBackendProvider p : ServiceLoader.load(KvBackendProvider.class, loader)) {
                found.putIfAbsent(p.name(), p);
            }
        } catch (ServiceConfigurationError e) {
            throw new ConfigurationException(
                    "Vivarium setting 'kv.backend': a KV backend on the classpath cannot be"
                            + " loaded: "
                            + e.getMessage(),
                    e);
        }
    }

    /** The names {@code kv.backend} accepts. */
    public static List<String> names() {
        return List.copyOf(providers().keySet());
    }

    /**
     * The provider of the backend named {@code name}.
     *
     * @throws ConfigurationException naming {@code kv.backend} and listing the valid names
     */
    public static KvBackendProvider provider(String name) {
        Map<String, KvBackendProvider> all = providers();
        KvBackendProvider p = all.get(name);
        if (p == null) {
            throw new ConfigurationException(
                    "Vivarium setting 'kv.backend': unknown backend '"
                            + name
                            + "'; valid backends on the classpath: "
                            + String.join(", ", all.keySet()));
        }
        return p;
    }
}
