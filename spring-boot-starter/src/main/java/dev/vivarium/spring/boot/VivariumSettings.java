package dev.vivarium.spring.boot;

import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Setting;
import dev.vivarium.core.deploy.DeploymentStoreProvider;
import dev.vivarium.core.deploy.DeploymentStores;
import dev.vivarium.core.kv.KvBackendProvider;
import dev.vivarium.core.kv.KvBackends;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The {@code vivarium.*} Spring properties: the engine's settings (the filter's init-params) and
 * the starter's own ({@link #STARTER}). The engine's are derived from core's {@link
 * dev.vivarium.core.config.VivariumSettings}, the one registry of every setting: name, doc and
 * default come from there, so a setting added to core is a Spring property at once. {@code
 * META-INF/spring-configuration-metadata.json} is generated from the same list ({@code
 * SpringMetadata}, kept in step by a test), for IDE completion.
 */
public final class VivariumSettings {
    public static final String PREFIX = "vivarium";

    /**
     * What the starter does differently from a plain filter, said in place of core's words for the
     * default (core's names the filter's and the Jetty module's defaults).
     */
    private static final Map<String, String> BOOT_DEFAULTS =
            Map.of(
                    "guestDirectory",
                    "./guests if it exists, else classpath:guests/ (copied to a temp directory);"
                            + " classpath:DIR/ also works",
                    "kv.directory",
                    "the web server's temp dir, which a restart may delete (set it for real use)");

    /** The engine's settings, by init-param name: every setting core declares, in its order. */
    public static final List<VivariumSetting> ENGINE =
            dev.vivarium.core.config.VivariumSettings.all().stream()
                    .map(VivariumSettings::fromCore)
                    .toList();

    /** One core setting as a Spring property: its doc and default, typed for the metadata. */
    static VivariumSetting fromCore(Setting<?> s) {
        String kind = s.kind().name();
        // routes is text to core (entries separated by commas or new lines); Spring may give it
        // as a YAML list too, joined with ", " as for core's list settings
        boolean list = kind.equals("list") || s.name().equals("routes");
        String type =
                list
                        ? "java.util.List<java.lang.String>"
                        : kind.equals("boolean")
                                ? "java.lang.Boolean"
                                : kind.equals("integer") ? "java.lang.Integer" : "java.lang.String";
        StringBuilder description = new StringBuilder(sentence(s.doc()));
        if (s.unit() != null) {
            description.append(" Unit: ").append(s.unit()).append('.');
        }
        String bootDefault = BOOT_DEFAULTS.get(s.name());
        if (bootDefault != null) {
            description.append(" Default: ").append(bootDefault).append('.');
        } else if (s.defaultValue() == null && s.defaultText() != null) {
            description.append(" Default: ").append(s.defaultText()).append('.');
        }
        return new VivariumSetting(
                s.name(),
                type,
                list,
                bootDefault == null ? s.defaultValue() : null,
                description.toString());
    }

    /** Core's doc line as a sentence: capitalized, with a full stop. */
    static String sentence(String doc) {
        String d = doc.trim();
        if (d.isEmpty()) {
            return d;
        }
        d = Character.toUpperCase(d.charAt(0)) + d.substring(1);
        return d.endsWith(".") ? d : d + ".";
    }

    /** The starter's own properties: how the filter is registered, not engine settings. */
    public static final List<VivariumSetting> STARTER =
            List.of(
                    new VivariumSetting(
                            "enabled",
                            "java.lang.Boolean",
                            false,
                            "true",
                            "Whether the starter registers the Vivarium filter."),
                    new VivariumSetting(
                            "urlPatterns",
                            "java.util.List<java.lang.String>",
                            true,
                            "/*",
                            "URL patterns the filter is mapped to."),
                    new VivariumSetting(
                            "filterOrder",
                            "java.lang.Integer",
                            false,
                            "0",
                            "Order of the filter in the chain: after Spring Security's (-100),"
                                    + " before Spring MVC."));

    private VivariumSettings() {}

    /**
     * The engine settings given under {@code vivarium.*}, by init-param name; list values joined
     * with {@code ", "}. Refuses a {@code vivarium.*} property that is none of the known ones.
     */
    public static Map<String, String> initParameters(Environment environment) {
        rejectUnknown(environment);
        Binder binder = Binder.get(environment);
        Map<String, String> params = new LinkedHashMap<>();
        for (VivariumSetting s : engine()) {
            String value =
                    s.list()
                            ? binder.bind(s.property(), Bindable.listOf(String.class))
                                    .map(l -> String.join(", ", l))
                                    .orElse(null)
                            : binder.bind(s.property(), String.class).orElse(null);
            if (value != null && !value.isBlank()) {
                params.put(s.name(), value);
            }
        }
        return params;
    }

    /**
     * Parses the init-params as the filter will, so a bad value stops the app with its message (the
     * container would only log it and report that the web server failed to start), and with the
     * Spring property it came from.
     */
    static void check(Map<String, String> params) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try {
            VivariumOptions.parse(params, tmp, tmp);
        } catch (ConfigurationException e) {
            String properties =
                    engine().stream()
                            .filter(s -> e.getMessage().contains("'" + s.name() + "'"))
                            .map(VivariumSetting::property)
                            .collect(Collectors.joining(", "));
            throw new ConfigurationException(
                    e.getMessage()
                            + (properties.isEmpty() ? "" : " (Spring property " + properties + ")"),
                    e);
        }
    }

    private static void rejectUnknown(Environment environment) {
        List<ConfigurationPropertyName> known = new ArrayList<>();
        List<VivariumSetting> valid = new ArrayList<>(engine());
        valid.addAll(STARTER);
        for (VivariumSetting s : valid) {
            known.add(ConfigurationPropertyName.of(s.property()));
        }
        ConfigurationPropertyName prefix = ConfigurationPropertyName.of(PREFIX);
        Set<String> unknown = new TreeSet<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            // only what the app configured: the JVM's system properties and the environment
            // carry names of their own under vivarium.* (and VIVARIUM_*) that are no settings
            if (!(source instanceof IterableConfigurationPropertySource iterable)
                    || isSystem(source.getUnderlyingSource())) {
                continue;
            }
            iterable.stream()
                    .filter(prefix::isAncestorOf)
                    .filter(
                            name ->
                                    known.stream()
                                            .noneMatch(k -> k.equals(name) || k.isAncestorOf(name)))
                    .forEach(name -> unknown.add(name.toString()));
        }
        if (!unknown.isEmpty()) {
            throw new ConfigurationException(
                    "unknown Vivarium propert"
                            + (unknown.size() == 1 ? "y " : "ies ")
                            + unknown
                            + "; valid properties are: "
                            + valid.stream()
                                    .map(VivariumSetting::property)
                                    .collect(Collectors.joining(", ")));
        }
    }

    private static boolean isSystem(Object underlying) {
        return underlying instanceof PropertySource<?> ps
                && (StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME.equals(ps.getName())
                        || StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME.equals(
                                ps.getName()));
    }

    /**
     * {@link #ENGINE} and the own settings of every KV backend and deployment store on the class
     * path (e.g. {@code kv.jdbc.url} with {@code vivarium-kv-postgresql}), found at run time.
     */
    public static List<VivariumSetting> engine() {
        List<VivariumSetting> all = new ArrayList<>(ENGINE);
        Set<String> names = new TreeSet<>(VivariumSetting.names(ENGINE));
        for (KvBackendProvider p : KvBackends.providers().values()) {
            for (String name : p.settings()) {
                if (names.add(name)) {
                    all.add(
                            VivariumSetting.string(
                                    name, null, "Setting of the KV backend '" + p.name() + "'."));
                }
            }
        }
        for (DeploymentStoreProvider p : DeploymentStores.providers().values()) {
            for (String name : p.settings()) {
                if (names.add(name)) {
                    all.add(
                            VivariumSetting.string(
                                    name,
                                    null,
                                    "Setting of the deployment store '" + p.name() + "'."));
                }
            }
        }
        return List.copyOf(all);
    }

    /** The engine's settings and the starter's own (without the KV backends' own). */
    public static List<VivariumSetting> all() {
        List<VivariumSetting> all = new ArrayList<>(ENGINE);
        all.addAll(STARTER);
        return List.copyOf(all);
    }
}
