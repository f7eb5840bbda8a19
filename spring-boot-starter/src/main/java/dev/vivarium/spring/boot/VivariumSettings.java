package dev.vivarium.spring.boot;

import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
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
 * The {@code vivarium.*} Spring properties: the engine's settings (the filter's init-params, listed
 * in {@link #ENGINE}) and the starter's own ({@link #STARTER}). {@code
 * META-INF/spring-configuration-metadata.json} lists the same, for IDE completion; a test keeps the
 * three (this list, the metadata and the settings core reads) in step.
 */
public final class VivariumSettings {
    public static final String PREFIX = "vivarium";

    /** The engine's settings, by init-param name: every name {@code VivariumOptions} reads. */
    public static final List<VivariumSetting> ENGINE =
            List.of(
                    VivariumSetting.list(
                            "routes",
                            "Routes, 'MATCH -> GUEST [; key=value]' each, e.g. '/hello ->"
                                    + " hello.wasm'; required unless admin.token is set."),
                    VivariumSetting.string(
                            "guestDirectory",
                            null,
                            "Where guest files are looked up: a directory, or classpath:guests/"
                                    + " (copied to a temp directory); default ./guests if it"
                                    + " exists, else classpath:guests/."),
                    VivariumSetting.string(
                            "guestDirectory.watch",
                            "false",
                            "Whether changed guest files of the routes are loaded again while the"
                                    + " server runs (a broken file keeps the old version)."),
                    VivariumSetting.string(
                            "deadline", "10s", "Longest a guest may run; 504 after it."),
                    VivariumSetting.string(
                            "poolSize", null, "Idle instances kept per guest; default 2 x CPUs."),
                    VivariumSetting.string(
                            "maxRequestBodySize", "8MB", "Larger request bodies get 413."),
                    VivariumSetting.string(
                            "maxResponseBodySize",
                            "8MB",
                            "Larger guest response bodies fail (500)."),
                    VivariumSetting.string(
                            "maxMemoryPages",
                            "256",
                            "Memory cap of one instance, in 64 KiB wasm pages."),
                    VivariumSetting.string(
                            "maxTotalMemory",
                            null,
                            "Memory cap of all instances and running requests' bodies together;"
                                    + " default half the JVM's maximum heap."),
                    VivariumSetting.string(
                            "maxTableEntries", "65536", "Entries of all tables of an instance."),
                    VivariumSetting.string("maxGlobals", "1024", "Globals a module may define."),
                    VivariumSetting.string("maxFunctionSize", "1MB", "Bytes of one function body."),
                    VivariumSetting.string(
                            "maxBrTableTargets",
                            "65536",
                            "Targets of all br_table instructions of a module."),
                    VivariumSetting.string(
                            "maxTypes", "10000", "Entries of a module's type section."),
                    VivariumSetting.string(
                            "maxConcurrent",
                            null,
                            "Instances of one deployment running at once; default the CPUs, at"
                                    + " least 2."),
                    VivariumSetting.string(
                            "maxQueued",
                            "48",
                            "Requests of one deployment waiting for an instance; more get 503."),
                    VivariumSetting.string(
                            "queueTimeout",
                            "1s",
                            "Longest a request waits for an instance (503 with Retry-After)."),
                    VivariumSetting.string(
                            "guestLog.maxLines", "100", "Guest output lines kept per request."),
                    VivariumSetting.string(
                            "guestLog.maxBytes", "64KB", "Guest output bytes kept per request."),
                    VivariumSetting.string(
                            "guestLog.linesPerSecond",
                            "200",
                            "Guest output lines kept per deployment and second."),
                    VivariumSetting.string(
                            "guestLog.bytesPerSecond",
                            "256KB",
                            "Guest output bytes kept per deployment and second."),
                    VivariumSetting.string(
                            "guestLog.bufferLines",
                            "1000",
                            "Guest output lines and faults kept per deployment for the admin API's"
                                    + " /deployments/ID/logs."),
                    VivariumSetting.string(
                            "guestLog.followers",
                            "8",
                            "Admin API clients that may follow deployment logs at once"
                                    + " (/deployments/ID/logs?follow=1)."),
                    VivariumSetting.string(
                            "guestLog.followMaxDuration",
                            "30m",
                            "How long one log follow stream lasts before the server ends it."),
                    VivariumSetting.string(
                            "guestLog.followHeartbeat",
                            "15s",
                            "How often a quiet log follow stream sends a comment."),
                    VivariumSetting.string(
                            "kv.directory",
                            null,
                            "Where KV stores and uploaded deployments live; default the web"
                                    + " server's temp dir, which a restart may delete."),
                    VivariumSetting.string("kv.backend", "mapdb", "The KV backend."),
                    VivariumSetting.string("kv.maxKeySize", "1KB", "Largest KV key."),
                    VivariumSetting.string("kv.maxValueSize", "1MB", "Largest KV value."),
                    VivariumSetting.string("kv.maxStoreSize", "64MB", "Largest KV store."),
                    VivariumSetting.string(
                            "kv.purgeInterval", "1m", "How often expired KV entries are purged."),
                    VivariumSetting.list(
                            "outbound.allow",
                            "Outbound allowlist entries for every route, e.g."
                                    + " 'https://api.example.com'; default none."),
                    VivariumSetting.string(
                            "outbound.connectTimeout",
                            "2s",
                            "Outbound TCP (and TLS) connect timeout."),
                    VivariumSetting.string(
                            "outbound.timeout", "10s", "Total time of one outbound request."),
                    VivariumSetting.string(
                            "outbound.maxResponseSize", "8MB", "Largest outbound response body."),
                    VivariumSetting.string(
                            "outbound.maxTotalResponseSize",
                            "32MB",
                            "All outbound response bodies of one guest request together."),
                    VivariumSetting.string(
                            "outbound.maxTotalRequestSize",
                            "32MB",
                            "All outbound request bodies of one guest request together."),
                    VivariumSetting.string(
                            "outbound.maxSubrequests",
                            "32",
                            "Outbound requests one guest request may send."),
                    VivariumSetting.string(
                            "outbound.maxPending",
                            "32",
                            "Outbound requests one guest request may have in flight."),
                    VivariumSetting.string(
                            "outbound.maxHops",
                            "3",
                            "Vivarium guests in a row one request may pass through (CDN-Loop);"
                                    + " more get 508."),
                    VivariumSetting.string(
                            "outbound.maxConcurrent",
                            "64",
                            "Outbound requests one deployment may have in flight."),
                    VivariumSetting.string(
                            "outbound.maxConnections",
                            "16",
                            "Connections one deployment may open to one destination."),
                    VivariumSetting.string(
                            "outbound.trustStore",
                            null,
                            "CA certificates for https destinations (PKCS12, JKS or PEM); default"
                                    + " the JDK's."),
                    VivariumSetting.string(
                            "outbound.trustStorePassword", null, "The trust store's password."),
                    VivariumSetting.string(
                            "dns.resolver",
                            "system",
                            "DNS resolver for guests' lookups: system, or a server address."),
                    VivariumSetting.string("dns.timeout", "2s", "Timeout of one DNS lookup."),
                    VivariumSetting.string(
                            "admin.token",
                            null,
                            "Bearer token of the admin API (deployments uploaded at run time);"
                                    + " unset: no admin API."),
                    VivariumSetting.string(
                            "health.enabled",
                            "true",
                            "Whether health.path answers liveness and readiness as JSON."),
                    VivariumSetting.string(
                            "health.path", "/__health", "Where the health check answers."),
                    VivariumSetting.string("admin.path", "/_vivarium", "Path of the admin API."),
                    VivariumSetting.list(
                            "admin.allowFrom",
                            "Client addresses or CIDR ranges the admin API answers; default"
                                    + " loopback only."),
                    VivariumSetting.string(
                            "deployments.directory",
                            null,
                            "Where uploaded deployments are kept; default under kv.directory."),
                    VivariumSetting.string(
                            "deployments.max", "16", "Most uploaded deployments at once."),
                    VivariumSetting.string(
                            "deployments.defaultTtl", "1h", "Lifetime of an uploaded deployment."),
                    VivariumSetting.string(
                            "deployments.maxDeadline",
                            null,
                            "Longest deadline an upload may ask for; default the deadline."),
                    VivariumSetting.list(
                            "deployments.routes",
                            "Where uploads may take requests: MATCH patterns such as /try/*;"
                                    + " default /*, outside configured routes."),
                    VivariumSetting.string(
                            "deployments.maxConcurrentUploads",
                            "2",
                            "Uploads parsed and compiled at once; more get 503."),
                    VivariumSetting.string(
                            "deployments.maxTtl", "24h", "Longest lifetime an upload may ask for."),
                    VivariumSetting.string(
                            "deployments.store",
                            "file",
                            "Where uploads are kept: file (deployments.directory, one node) or"
                                    + " postgresql (shared by every node)."));

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
