package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import dev.vivarium.core.config.VivariumSettings;
import dev.vivarium.core.outbound.OutboundUrl;
import dev.vivarium.core.routing.RouteSpec;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.util.InetAddressSet;

/**
 * Settings of deployments uploaded at run time ({@code admin.*}, {@code deployments.*}; declared
 * with their defaults in {@link VivariumSettings}). Without {@code admin.allowFrom} the token alone
 * guards the admin API; uploaded modules are kept in {@code .uploads} in {@code kv.directory} by
 * default, a name no KV store directory can have. Without {@code deployments.maxDeadline} an upload
 * may ask for up to the site's {@code deadline}; {@code deployments.routes} ({@code /*} by default:
 * any path, on any host, that no configured route takes) bounds where an upload's route may lie,
 * and uploads never take requests from a configured route. {@code deployments.store} names where
 * uploads are kept: {@code file} (files in {@code deployments.directory}, one node) or a {@link
 * DeploymentStoreProvider} on the classpath, e.g. {@code postgresql}, which declares its own
 * settings.
 */
public final class UploadOptions {
    static final String DEFAULT_ADMIN_PATH = VivariumSettings.ADMIN_PATH.defaultParsed();
    static final int DEFAULT_MAX = VivariumSettings.DEPLOYMENTS_MAX.defaultParsed();
    static final Duration DEFAULT_TTL = VivariumSettings.DEPLOYMENTS_DEFAULT_TTL.defaultParsed();
    static final Duration DEFAULT_MAX_TTL = VivariumSettings.DEPLOYMENTS_MAX_TTL.defaultParsed();
    static final int MIN_TOKEN_LENGTH = 16;
    static final int DEFAULT_MAX_CONCURRENT_UPLOADS =
            VivariumSettings.DEPLOYMENTS_MAX_CONCURRENT_UPLOADS.defaultParsed();

    private final String adminToken;
    private final String adminPath;
    private final List<String> adminAllowFrom;
    private final InetAddressSet allowed = new InetAddressSet();
    private final Path directory;
    private final int max;
    private final Duration defaultTtl;
    private final Duration maxTtl;
    private final Duration maxDeadline;
    private final List<RouteSpec> routes;
    private final int maxConcurrentUploads;
    private final String store;
    private final Map<String, String> storeSettings;
    private final String domain;
    private final BundleLimits bundleLimits;

    private UploadOptions(Builder b) {
        this.domain = b.domain;
        this.bundleLimits = b.bundleLimits;
        this.store = b.store;
        this.storeSettings = Map.copyOf(b.storeSettings);
        this.adminToken = b.adminToken;
        this.adminPath = b.adminPath;
        this.adminAllowFrom = b.adminAllowFrom;
        allowed.addAll(adminAllowFrom);
        this.directory = Objects.requireNonNull(b.directory, "deployments.directory");
        this.max = b.max;
        this.defaultTtl = b.defaultTtl;
        this.maxTtl = b.maxTtl;
        this.maxDeadline = b.maxDeadline;
        this.routes = b.routes;
        this.maxConcurrentUploads = b.maxConcurrentUploads;
        if (defaultTtl.compareTo(maxTtl) > 0) {
            throw new ConfigurationException(
                    "deployments.defaultTtl ("
                            + defaultTtl
                            + ") is longer than deployments.maxTtl ("
                            + maxTtl
                            + ")");
        }
    }

    /** Reads the settings; uploaded modules go into {@code kvDirectory} by default. */
    public static UploadOptions parse(Settings s, Path kvDirectory) {
        Builder b = builder(defaultDirectory(kvDirectory));
        b.adminToken(s.get(VivariumSettings.ADMIN_TOKEN));
        b.adminPath(s.get(VivariumSettings.ADMIN_PATH));
        List<String> allowFrom = s.get(VivariumSettings.ADMIN_ALLOW_FROM);
        if (allowFrom != null) {
            b.adminAllowFrom(allowFrom);
        }
        Path dir = s.get(VivariumSettings.DEPLOYMENTS_DIRECTORY);
        if (dir != null) {
            b.directory(dir);
        }
        DeploymentStoreProvider store =
                DeploymentStores.provider(s.get(VivariumSettings.DEPLOYMENTS_STORE));
        if (store != null) {
            b.store(store.name());
            for (String name : store.settings()) {
                String v = s.declaredBy(store.name() + " deployment store", name);
                if (v != null) {
                    b.storeSetting(name, v);
                }
            }
        }
        b.max(s.get(VivariumSettings.DEPLOYMENTS_MAX));
        b.defaultTtl(s.get(VivariumSettings.DEPLOYMENTS_DEFAULT_TTL));
        b.maxTtl(s.get(VivariumSettings.DEPLOYMENTS_MAX_TTL));
        b.maxDeadline(s.get(VivariumSettings.DEPLOYMENTS_MAX_DEADLINE));
        b.routes(s.get(VivariumSettings.DEPLOYMENTS_ROUTES));
        b.maxConcurrentUploads(s.get(VivariumSettings.DEPLOYMENTS_MAX_CONCURRENT_UPLOADS));
        b.domain(s.get(VivariumSettings.DEPLOYMENTS_DOMAIN));
        b.bundleLimits(
                new BundleLimits(
                        s.get(VivariumSettings.DEPLOYMENTS_BUNDLE_MAX_ENTRIES),
                        s.get(VivariumSettings.DEPLOYMENTS_BUNDLE_MAX_ENTRY_SIZE),
                        s.get(VivariumSettings.DEPLOYMENTS_BUNDLE_MAX_TOTAL_SIZE)));
        return b.build();
    }

    /**
     * {@code .uploads} in the KV directory: everything deployments leave on disk stays in one
     * place, and KV store directories never start with a dot.
     */
    public static Path defaultDirectory(Path kvDirectory) {
        return kvDirectory.resolve(".uploads");
    }

    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /** {@code deployments.store}: {@code file}, or a {@link DeploymentStoreProvider}'s name. */
    public String store() {
        return store;
    }

    /** The store's own settings that were given (see {@link DeploymentStoreProvider#settings}). */
    public Map<String, String> storeSettings() {
        return storeSettings;
    }

    /** Whether the admin API answers (a token is set). */
    public boolean adminEnabled() {
        return adminToken != null;
    }

    /** The admin API's bearer token, or null when the API is off. */
    String adminToken() {
        return adminToken;
    }

    public String adminPath() {
        return adminPath;
    }

    /** Whether the admin API is on and {@code path} is at or under {@link #adminPath()}. */
    public boolean isAdminPath(String path) {
        return adminEnabled() && (path.equals(adminPath) || path.startsWith(adminPath + "/"));
    }

    /** The patterns of {@code admin.allowFrom}; empty: any address. */
    public List<String> adminAllowFrom() {
        return adminAllowFrom;
    }

    /**
     * Whether the admin API answers a client at {@code clientAddress} (an IP literal, as adapters
     * report it); false for anything that is not one when {@code admin.allowFrom} is set.
     */
    public boolean adminAllows(String clientAddress) {
        if (adminAllowFrom.isEmpty()) {
            return true;
        }
        InetAddress a = clientAddress == null ? null : OutboundUrl.ipLiteral(clientAddress);
        return a != null && allowed.test(a);
    }

    public Path directory() {
        return directory;
    }

    public int max() {
        return max;
    }

    public Duration defaultTtl() {
        return defaultTtl;
    }

    public Duration maxTtl() {
        return maxTtl;
    }

    /**
     * The longest deadline an upload may ask for ({@code deployments.maxDeadline}), or null for the
     * site's {@code deadline}.
     */
    public Duration maxDeadline() {
        return maxDeadline;
    }

    /** Where uploads may take requests ({@code deployments.routes}), as MATCH-only routes. */
    public List<RouteSpec> routes() {
        return routes;
    }

    /**
     * How many uploads are parsed and compiled at once ({@code deployments.maxConcurrentUploads}).
     */
    public int maxConcurrentUploads() {
        return maxConcurrentUploads;
    }

    /**
     * {@code deployments.domain}: every upload also answers at {@code ID.DOMAIN}; null for none.
     */
    public String domain() {
        return domain;
    }

    /** The host name an upload gets from {@code deployments.domain}, or null without it. */
    public String hostFor(String id) {
        return domain == null ? null : id.toLowerCase(java.util.Locale.ROOT) + "." + domain;
    }

    /** {@code deployments.bundle.*}: how large an uploaded bundle may be. */
    public BundleLimits bundleLimits() {
        return bundleLimits;
    }

    @Override
    public String toString() {
        return "deployments(admin="
                + (adminEnabled() ? adminPath : "off")
                + (adminAllowFrom.isEmpty() ? "" : " from " + adminAllowFrom)
                + ", directory="
                + directory
                + ", max="
                + max
                + ", defaultTtl="
                + defaultTtl
                + ", maxTtl="
                + maxTtl
                + (maxDeadline == null ? "" : ", maxDeadline=" + maxDeadline)
                + ", routes="
                + routes.stream().map(RouteSpec::match).toList()
                + ", maxConcurrentUploads="
                + maxConcurrentUploads
                + (domain == null ? "" : ", domain=" + domain)
                + ")";
    }

    /** Builds options; every value defaults as documented on the class. */
    public static final class Builder {
        private String adminToken;
        private String adminPath = DEFAULT_ADMIN_PATH;
        private List<String> adminAllowFrom = List.of();
        private Path directory;
        private int max = DEFAULT_MAX;
        private Duration defaultTtl = DEFAULT_TTL;
        private Duration maxTtl = DEFAULT_MAX_TTL;
        private Duration maxDeadline;
        private List<RouteSpec> routes =
                VivariumSettings.DEPLOYMENTS_ROUTES.defaultParsed().stream()
                        .map(Builder::area)
                        .toList();
        private int maxConcurrentUploads = DEFAULT_MAX_CONCURRENT_UPLOADS;
        private String domain;
        private BundleLimits bundleLimits = BundleLimits.DEFAULT;

        private Builder(Path directory) {
            this.directory = directory;
        }

        /** Turns the admin API on with this bearer token (null: off). */
        public Builder adminToken(String token) {
            if (token != null && token.strip().length() < MIN_TOKEN_LENGTH) {
                throw new ConfigurationException(
                        "admin.token must be at least "
                                + MIN_TOKEN_LENGTH
                                + " characters (it guards uploading code to this server)");
            }
            this.adminToken = token == null ? null : token.strip();
            return this;
        }

        public Builder adminPath(String path) {
            if (path == null || !path.matches("/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*")) {
                throw new ConfigurationException(
                        "admin.path must be a path like /_vivarium (no trailing slash), got '"
                                + path
                                + "'");
            }
            this.adminPath = path;
            return this;
        }

        /**
         * Client addresses the admin API answers: IP addresses, CIDR blocks or ranges, no host
         * names; empty for any.
         */
        public Builder adminAllowFrom(List<String> patterns) {
            for (String p : patterns) {
                if (!isAddressPattern(p)) {
                    throw new ConfigurationException(
                            "admin.allowFrom: '"
                                    + p
                                    + "' is not an IP address, a CIDR block (10.0.0.0/8) or a"
                                    + " range (192.0.2.10-192.0.2.20)");
                }
            }
            this.adminAllowFrom = List.copyOf(patterns);
            return this;
        }

        /** An address, {@code address/bits} or {@code address-address}, with literals only. */
        private static boolean isAddressPattern(String p) {
            int slash = p.lastIndexOf('/');
            if (slash > 0) {
                InetAddress a = OutboundUrl.ipLiteral(p.substring(0, slash));
                String bits = p.substring(slash + 1);
                return a != null
                        && bits.matches("[0-9]{1,3}")
                        && Integer.parseInt(bits) <= a.getAddress().length * 8;
            }
            int dash = p.indexOf('-');
            if (dash > 0) {
                InetAddress lo = OutboundUrl.ipLiteral(p.substring(0, dash));
                InetAddress hi = OutboundUrl.ipLiteral(p.substring(dash + 1));
                return lo != null && hi != null && lo.getAddress().length == hi.getAddress().length;
            }
            return OutboundUrl.ipLiteral(p) != null;
        }

        private String store = DeploymentStores.FILE;
        private final Map<String, String> storeSettings = new java.util.TreeMap<>();

        /** {@code deployments.store}; see {@link DeploymentStores}. */
        public Builder store(String name) {
            this.store = Objects.requireNonNull(name, "deployments.store");
            return this;
        }

        /** One of the store's own settings (see {@link DeploymentStoreProvider#settings()}). */
        public Builder storeSetting(String name, String value) {
            storeSettings.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
            return this;
        }

        public Builder directory(Path dir) {
            this.directory = Objects.requireNonNull(dir, "deployments.directory");
            return this;
        }

        public Builder max(int n) {
            if (n < 0) {
                throw new ConfigurationException("deployments.max must not be negative, got " + n);
            }
            this.max = n;
            return this;
        }

        public Builder defaultTtl(Duration d) {
            this.defaultTtl = positive("deployments.defaultTtl", d);
            return this;
        }

        public Builder maxTtl(Duration d) {
            this.maxTtl = positive("deployments.maxTtl", d);
            return this;
        }

        /** The longest deadline an upload may ask for; null for the site's {@code deadline}. */
        public Builder maxDeadline(Duration d) {
            this.maxDeadline = d == null ? null : positive("deployments.maxDeadline", d);
            return this;
        }

        /**
         * Where uploads may take requests: MATCH patterns such as {@code /try/*} or {@code
         * *.apps.example.com/*}.
         */
        public Builder routes(List<String> matches) {
            if (matches.isEmpty()) {
                throw new ConfigurationException(
                        "deployments.routes is empty: give at least one MATCH, e.g. /try/*");
            }
            this.routes = matches.stream().map(Builder::area).toList();
            return this;
        }

        public Builder maxConcurrentUploads(int n) {
            if (n < 1) {
                throw new ConfigurationException(
                        "deployments.maxConcurrentUploads must be at least 1, got " + n);
            }
            this.maxConcurrentUploads = n;
            return this;
        }

        /**
         * {@code deployments.domain}: a DNS name such as {@code edge.example.test} (null: none);
         * every upload also answers at {@code ID.DOMAIN}.
         */
        public Builder domain(String domain) {
            if (domain == null || domain.isBlank()) {
                this.domain = null;
                return this;
            }
            String d = domain.strip().toLowerCase(java.util.Locale.ROOT);
            if (d.endsWith(".")) {
                d = d.substring(0, d.length() - 1);
            }
            if (!d.matches(
                            "([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
                    || d.length() > 180) {
                throw new ConfigurationException(
                        "deployments.domain: '"
                                + domain
                                + "' is not a DNS name like edge.example.test (letters, digits,"
                                + " '-' and dots; no scheme, port or '*')");
            }
            this.domain = d;
            return this;
        }

        /** {@code deployments.bundle.*}. */
        public Builder bundleLimits(BundleLimits limits) {
            this.bundleLimits = Objects.requireNonNull(limits, "bundleLimits");
            return this;
        }

        private static RouteSpec area(String match) {
            if (match.contains("->") || match.contains(";")) {
                throw notAnArea(match, "give the MATCH alone");
            }
            try {
                return RouteSpec.parse(match + " -> upload.wasm", "deployments.routes");
            } catch (ConfigurationException e) {
                throw notAnArea(match, e.getMessage());
            }
        }

        private static ConfigurationException notAnArea(String match, String why) {
            return new ConfigurationException(
                    "deployments.routes: '"
                            + match
                            + "' is not a MATCH like /try/* or *.apps.example.com/* ("
                            + why
                            + ")");
        }

        public UploadOptions build() {
            return new UploadOptions(this);
        }

        private static Duration positive(String name, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new ConfigurationException(name + " must be greater than zero, got " + d);
            }
            return d;
        }
    }
}
