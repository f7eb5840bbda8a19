package dev.vivarium.core.kv;

import dev.vivarium.core.config.ConfigurationException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KV backends on the classpath, by name: every {@link KvBackendProvider} {@link ServiceLoader}
 * finds through core's class loader and the thread's context class loader (a webapp's). Core brings
 * {@code mapdb}; a module such as {@code vivarium-kv-postgresql} adds its own by being present.
 */
public final class KvBackends {
    /** The backend used when {@code kv.backend} is not set. */
    public static final String DEFAULT = "mapdb";

    private static final Logger LOG = LoggerFactory.getLogger(KvBackends.class);

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

    /**
     * Adds the providers {@code loader} finds; one that cannot be loaded (a broken jar, or another
     * copy of core in a webapp) is logged and skipped, so that it cannot stop the others.
     */
    private static void load(ClassLoader loader, Map<String, KvBackendProvider> found) {
        Iterator<KvBackendProvider> it =
                ServiceLoader.load(KvBackendProvider.class, loader).iterator();
        // after an error the iterator moves on to the next provider; the bound is for safety
        for (int errors = 0; errors < 100; ) {
            try {
                if (!it.hasNext()) {
                    return;
                }
                KvBackendProvider p = it.next();
                found.putIfAbsent(p.name(), p);
            } catch (ServiceConfigurationError e) {
                errors++;
                LOG.warn("a KV backend on the classpath cannot be loaded: {}", e.getMessage());
            }
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
