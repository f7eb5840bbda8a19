package dev.vivarium.core;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.IsolationOptions;
import dev.vivarium.core.config.Settings;
import dev.vivarium.core.config.VivariumSettings;
import dev.vivarium.core.deploy.LogFollow;
import dev.vivarium.core.deploy.UploadOptions;
import dev.vivarium.core.dns.DnsOptions;
import dev.vivarium.core.engine.CompiledClassCache;
import dev.vivarium.core.engine.GuestLimits;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.outbound.OutboundOptions;
import dev.vivarium.core.routing.RouteSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one immutable configuration of a Vivarium engine, parsed once from the shared vocabulary of
 * setting names declared in {@link VivariumSettings} (names, defaults and meaning are there and in
 * {@code docs/configuration.md}). The servlet filter reads them as init-params, the Jetty handler
 * as setters and the Jetty module as {@code jetty.vivarium.<name>} properties.
 */
public final class VivariumOptions {
    public static final Duration DEFAULT_DEADLINE = VivariumSettings.DEADLINE.defaultParsed();
    public static final long DEFAULT_MAX_BODY =
            VivariumSettings.MAX_REQUEST_BODY_SIZE.defaultParsed();
    public static final int DEFAULT_MAX_MEMORY_PAGES =
            VivariumSettings.MAX_MEMORY_PAGES.defaultParsed();

    /** Bytes in a wasm memory page. */
    private static final int PAGE = 64 * 1024;

    /** The largest body a Java array (and so a guest request or response) can hold. */
    public static final long MAX_BODY_LIMIT = VivariumSettings.MAX_BODY_LIMIT;

    private final List<RouteSpec> routes;
    private final Path guestDirectory;
    private final boolean watchGuests;
    private final Path compileCacheDirectory;
    private final long compileCacheMaxSize;
    private final Duration deadline;
    private final int poolSize;
    private final Duration poolIdleTimeout;
    private final long maxRequestBodySize;
    private final long maxResponseBodySize;
    private final int maxMemoryPages;
    private final long maxTotalMemory;
    private final GuestLimits guestLimits;
    private final KvOptions kv;
    private final OutboundOptions outbound;
    private final DnsOptions dns;
    private final UploadOptions uploads;
    private final IsolationOptions isolation;
    private final boolean healthEnabled;
    private final int logBufferLines;
    private final LogFollow.Options logFollow;
    private final String healthPath;

    private VivariumOptions(Builder b) {
        this.healthEnabled = b.healthEnabled;
        this.logBufferLines = b.logBufferLines;
        this.logFollow = b.logFollow;
        this.healthPath = b.healthPath;
        this.routes = List.copyOf(b.routes);
        this.guestDirectory = b.guestDirectory;
        this.watchGuests = b.watchGuests;
        this.compileCacheDirectory = b.compileCacheDirectory;
        this.compileCacheMaxSize = b.compileCacheMaxSize;
        this.deadline = b.deadline;
        this.poolSize = b.poolSize;
        this.poolIdleTimeout = b.poolIdleTimeout;
        this.maxRequestBodySize = b.maxRequestBodySize;
        this.maxResponseBodySize = b.maxResponseBodySize;
        this.maxMemoryPages = b.maxMemoryPages;
        this.maxTotalMemory = b.totalMemory();
        this.guestLimits = b.guestLimits.withMaxMemoryPages(b.maxMemoryPages);
        this.kv = b.kv != null ? b.kv : KvOptions.defaults(Path.of("vivarium-kv"));
        this.outbound = b.outbound;
        this.dns = b.dns;
        this.isolation = b.isolation;
        this.uploads =
                b.uploads != null
                        ? b.uploads
                        : UploadOptions.builder(UploadOptions.defaultDirectory(kv.directory()))
                                .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses settings by name; fails with a {@link ConfigurationException} naming the bad value, or
     * any unknown name.
     *
     * @param defaultGuestDirectory used when {@code guestDirectory} is not set
     * @param defaultKvDirectory used when {@code kv.directory} is not set
     */
    public static VivariumOptions parse(
            Map<String, String> raw, Path defaultGuestDirectory, Path defaultKvDirectory) {
        return parse(new Settings(raw), defaultGuestDirectory, defaultKvDirectory);
    }

    /**
     * Parses settings already read (placeholders resolved); see {@link #parse(Map, Path, Path)}.
     */
    public static VivariumOptions parse(
            Settings s, Path defaultGuestDirectory, Path defaultKvDirectory) {
        Builder b = builder();
        b.routes(RouteSpec.parseAll(s.get(VivariumSettings.ROUTES)));
        Path dir = s.get(VivariumSettings.GUEST_DIRECTORY);
        b.guestDirectory(dir != null ? dir : defaultGuestDirectory);
        b.watchGuests(s.get(VivariumSettings.GUEST_DIRECTORY_WATCH));
        Path cache = s.get(VivariumSettings.COMPILE_CACHE_DIRECTORY);
        if (cache != null) {
            b.compileCacheDirectory(cache);
        }
        b.compileCacheMaxSize(s.get(VivariumSettings.COMPILE_CACHE_MAX_SIZE));
        b.deadline(s.get(VivariumSettings.DEADLINE));
        if (s.isSet(VivariumSettings.POOL_SIZE)) {
            b.poolSize(s.get(VivariumSettings.POOL_SIZE));
        }
        b.poolIdleTimeout(s.get(VivariumSettings.POOL_IDLE_TIMEOUT));
        b.maxRequestBodySize(s.get(VivariumSettings.MAX_REQUEST_BODY_SIZE));
        b.maxResponseBodySize(s.get(VivariumSettings.MAX_RESPONSE_BODY_SIZE));
        b.maxMemoryPages(s.get(VivariumSettings.MAX_MEMORY_PAGES));
        if (s.isSet(VivariumSettings.MAX_TOTAL_MEMORY)) {
            b.maxTotalMemory(s.get(VivariumSettings.MAX_TOTAL_MEMORY));
        }
        b.maxTableEntries(s.get(VivariumSettings.MAX_TABLE_ENTRIES));
        b.maxGlobals(s.get(VivariumSettings.MAX_GLOBALS));
        b.maxFunctionSize(s.get(VivariumSettings.MAX_FUNCTION_SIZE));
        b.maxBrTableTargets(s.get(VivariumSettings.MAX_BR_TABLE_TARGETS));
        b.maxTypes(s.get(VivariumSettings.MAX_TYPES));
        b.kv(KvOptions.parse(s, defaultKvDirectory));
        b.outbound(OutboundOptions.parse(s));
        b.dns(DnsOptions.parse(s));
        b.isolation(IsolationOptions.parse(s));
        b.uploads(UploadOptions.parse(s, b.kv.directory()));
        b.healthEnabled(s.get(VivariumSettings.HEALTH_ENABLED));
        b.logBufferLines(s.get(VivariumSettings.GUEST_LOG_BUFFER_LINES));
        b.logFollow(LogFollow.Options.parse(s));
        b.healthPath(s.get(VivariumSettings.HEALTH_PATH));
        s.rejectUnknown();
        return b.build();
    }

    public List<RouteSpec> routes() {
        return routes;
    }

    public Path guestDirectory() {
        return guestDirectory;
    }

    /** Whether routed guest files are reloaded when they change ({@code guestDirectory.watch}). */
    public boolean watchGuests() {
        return watchGuests;
    }

    /** Where compiled guests are kept (setting {@code compileCache.directory}). */
    public Path compileCacheDirectory() {
        return compileCacheDirectory;
    }

    /** The most bytes kept there, 0 for no cache (setting {@code compileCache.maxSize}). */
    public long compileCacheMaxSize() {
        return compileCacheMaxSize;
    }

    public Duration deadline() {
        return deadline;
    }

    public int poolSize() {
        return poolSize;
    }

    /** How long a pool keeps idle instances once no request takes one ({@code poolIdleTimeout}). */
    public Duration poolIdleTimeout() {
        return poolIdleTimeout;
    }

    public long maxRequestBodySize() {
        return maxRequestBodySize;
    }

    public long maxResponseBodySize() {
        return maxResponseBodySize;
    }

    public int maxMemoryPages() {
        return maxMemoryPages;
    }

    /**
     * The memory the engine may hold for guests, in bytes: the linear memory of all instances (idle
     * ones included) and the bodies of running requests; by default half the JVM's maximum heap,
     * and never less than one instance may have.
     */
    public long maxTotalMemory() {
        return maxTotalMemory;
    }

    /**
     * What a guest module may declare, checked when it is loaded: {@code maxMemoryPages}, {@code
     * maxTableEntries}, {@code maxGlobals}, {@code maxFunctionSize}, {@code maxBrTableTargets} and
     * {@code maxTypes}.
     */
    public GuestLimits guestLimits() {
        return guestLimits;
    }

    /** The {@code kv.*} settings. */
    public KvOptions kv() {
        return kv;
    }

    /** The {@code outbound.*} settings. */
    public OutboundOptions outbound() {
        return outbound;
    }

    /** Admission control and guest log budgets: see {@link IsolationOptions}. */
    public IsolationOptions isolation() {
        return isolation;
    }

    /** The {@code dns.*} settings. */
    public DnsOptions dns() {
        return dns;
    }

    /**
     * The {@code admin.*} and {@code deployments.*} settings (deployments uploaded at run time).
     */
    public UploadOptions uploads() {
        return uploads;
    }

    /** Guest output lines and faults kept per deployment ({@code guestLog.bufferLines}). */
    public int logBufferLines() {
        return logBufferLines;
    }

    /** The limits of log follow streams ({@code guestLog.followers}, ...). */
    public LogFollow.Options logFollow() {
        return logFollow;
    }

    /** Whether {@link #healthPath()} answers ({@code health.enabled}). */
    public boolean healthEnabled() {
        return healthEnabled;
    }

    /** Where the health check answers ({@code health.path}), e.g. {@code /__health}. */
    public String healthPath() {
        return healthPath;
    }

    /** Builds options; every setter checks its value. */
    public static final class Builder {
        private boolean healthEnabled = true;
        private int logBufferLines = 1000;
        private LogFollow.Options logFollow = LogFollow.Options.defaults();
        private String healthPath = "/__health";
        private List<RouteSpec> routes = List.of();
        private Path guestDirectory = Path.of(".");
        private boolean watchGuests;
        private Path compileCacheDirectory = CompiledClassCache.defaultDirectory();
        private long compileCacheMaxSize = CompiledClassCache.DEFAULT_MAX_BYTES;
        private Duration deadline = DEFAULT_DEADLINE;
        private int poolSize = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
        private Duration poolIdleTimeout = VivariumSettings.POOL_IDLE_TIMEOUT.defaultParsed();
        private long maxRequestBodySize = DEFAULT_MAX_BODY;
        private long maxResponseBodySize = DEFAULT_MAX_BODY;
        private int maxMemoryPages = DEFAULT_MAX_MEMORY_PAGES;
        private long maxTotalMemory;
        private GuestLimits guestLimits = GuestLimits.defaults();
        private KvOptions kv;
        private OutboundOptions outbound = OutboundOptions.defaults();
        private DnsOptions dns = DnsOptions.defaults();
        private IsolationOptions isolation = IsolationOptions.defaults();
        private UploadOptions uploads;

        private Builder() {}

        public Builder uploads(UploadOptions uploads) {
            this.uploads = Objects.requireNonNull(uploads, "uploads");
            return this;
        }

        public Builder kv(KvOptions kv) {
            this.kv = Objects.requireNonNull(kv, "kv");
            return this;
        }

        public Builder outbound(OutboundOptions outbound) {
            this.outbound = Objects.requireNonNull(outbound, "outbound");
            return this;
        }

        public Builder isolation(IsolationOptions isolation) {
            this.isolation = Objects.requireNonNull(isolation, "isolation");
            return this;
        }

        public Builder dns(DnsOptions dns) {
            this.dns = Objects.requireNonNull(dns, "dns");
            return this;
        }

        public Builder routes(List<RouteSpec> routes) {
            this.routes = List.copyOf(routes);
            return this;
        }

        /** Adds one route written as {@code MATCH -> GUEST [; key=value]...}. */
        public Builder route(String entry) {
            List<RouteSpec> r = new java.util.ArrayList<>(routes);
            r.add(RouteSpec.parse(entry));
            this.routes = r;
            return this;
        }

        public Builder guestDirectory(Path dir) {
            this.guestDirectory = Objects.requireNonNull(dir, "guestDirectory");
            return this;
        }

        /** Reloads a routed guest file when it changes on disk. */
        /**
         * Where compiled guests are kept; default {@link CompiledClassCache#defaultDirectory()}.
         */
        public Builder compileCacheDirectory(Path dir) {
            this.compileCacheDirectory = Objects.requireNonNull(dir, "compileCacheDirectory");
            return this;
        }

        /** The most bytes kept in the compile cache; 0 turns it off. */
        public Builder compileCacheMaxSize(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("compileCacheMaxSize must be >= 0");
            }
            this.compileCacheMaxSize = bytes;
            return this;
        }

        public Builder watchGuests(boolean watch) {
            this.watchGuests = watch;
            return this;
        }

        public Builder deadline(Duration deadline) {
            if (deadline.isNegative() || deadline.isZero()) {
                throw Settings.bad("deadline", String.valueOf(deadline), "a positive duration");
            }
            this.deadline = deadline;
            return this;
        }

        public Builder poolSize(int poolSize) {
            if (poolSize < 0) {
                throw Settings.bad("poolSize", String.valueOf(poolSize), "0 or more");
            }
            this.poolSize = poolSize;
            return this;
        }

        /** How long idle instances are kept once no request takes one; more than zero. */
        public Builder poolIdleTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw Settings.bad(
                        "poolIdleTimeout", String.valueOf(timeout), "a duration greater than zero");
            }
            this.poolIdleTimeout = timeout;
            return this;
        }

        public Builder maxRequestBodySize(long max) {
            // bodies are handed to the guest as one array
            if (max < 0 || max > MAX_BODY_LIMIT) {
                throw Settings.bad(
                        "maxRequestBodySize",
                        String.valueOf(max),
                        "0 to " + MAX_BODY_LIMIT + " bytes");
            }
            this.maxRequestBodySize = max;
            return this;
        }

        public Builder maxResponseBodySize(long max) {
            if (max < 0 || max > MAX_BODY_LIMIT) {
                throw Settings.bad(
                        "maxResponseBodySize",
                        String.valueOf(max),
                        "0 to " + MAX_BODY_LIMIT + " bytes");
            }
            this.maxResponseBodySize = max;
            return this;
        }

        public Builder maxMemoryPages(int pages) {
            if (pages < 1 || pages > 65536) {
                throw Settings.bad("maxMemoryPages", String.valueOf(pages), "1 to 65536");
            }
            this.maxMemoryPages = pages;
            return this;
        }

        /** Entries of all tables of one instance together, 1 to 10,000,000 (Chicory's maximum). */
        public Builder maxTableEntries(int entries) {
            if (entries < 1 || entries > 10_000_000) {
                throw Settings.bad("maxTableEntries", String.valueOf(entries), "1 to 10000000");
            }
            guestLimits = guestLimits.withMaxTableEntries(entries);
            return this;
        }

        /** Globals one module may define, 1 to 1,000,000 (Chicory's maximum). */
        public Builder maxGlobals(int globals) {
            if (globals < 1 || globals > 1_000_000) {
                throw Settings.bad("maxGlobals", String.valueOf(globals), "1 to 1000000");
            }
            guestLimits = guestLimits.withMaxGlobals(globals);
            return this;
        }

        /** Bytes of one function body, 1 byte to 7,654,321 bytes (Chicory's maximum). */
        public Builder maxFunctionSize(long bytes) {
            if (bytes < 1 || bytes > 7_654_321) {
                throw Settings.bad("maxFunctionSize", String.valueOf(bytes), "1 to 7654321 bytes");
            }
            guestLimits = guestLimits.withMaxFunctionSize((int) bytes);
            return this;
        }

        /** Targets of all {@code br_table} instructions of one module together, 1 or more. */
        public Builder maxBrTableTargets(int targets) {
            if (targets < 1) {
                throw Settings.bad("maxBrTableTargets", String.valueOf(targets), "1 or more");
            }
            guestLimits = guestLimits.withMaxBrTableTargets(targets);
            return this;
        }

        /** Entries of a module's type section, 1 to 1,000,000 (Chicory's maximum). */
        public Builder maxTypes(int types) {
            if (types < 1 || types > 1_000_000) {
                throw Settings.bad("maxTypes", String.valueOf(types), "1 to 1000000");
            }
            guestLimits = guestLimits.withMaxTypes(types);
            return this;
        }

        /**
         * Caps the memory held for guests: instances and running requests' bodies (see {@link
         * #maxTotalMemory()}); it must hold at least one instance at {@code maxMemoryPages}.
         */
        public Builder maxTotalMemory(long bytes) {
            if (bytes < PAGE) {
                throw Settings.bad("maxTotalMemory", String.valueOf(bytes), "64KB or more");
            }
            this.maxTotalMemory = bytes;
            return this;
        }

        public Builder logBufferLines(int lines) {
            if (lines < 0) {
                throw Settings.bad("guestLog.bufferLines", String.valueOf(lines), "0 or more");
            }
            this.logBufferLines = lines;
            return this;
        }

        public Builder logFollow(LogFollow.Options follow) {
            this.logFollow = java.util.Objects.requireNonNull(follow, "follow");
            return this;
        }

        public Builder healthEnabled(boolean enabled) {
            this.healthEnabled = enabled;
            return this;
        }

        public Builder healthPath(String path) {
            if (path == null || !path.matches("/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*")) {
                throw new ConfigurationException(
                        "health.path must be a path like /__health (no trailing slash), got '"
                                + path
                                + "'");
            }
            this.healthPath = path;
            return this;
        }

        public VivariumOptions build() {
            return new VivariumOptions(this);
        }

        private long totalMemory() {
            long instance = (long) maxMemoryPages * PAGE;
            if (maxTotalMemory == 0) {
                return Math.max(Runtime.getRuntime().maxMemory() / 2, instance);
            }
            if (maxTotalMemory < instance) {
                throw new ConfigurationException(
                        "Vivarium setting 'maxTotalMemory' ("
                                + maxTotalMemory
                                + " bytes) is less than one instance may have (maxMemoryPages "
                                + maxMemoryPages
                                + " = "
                                + instance
                                + " bytes): raise maxTotalMemory or lower maxMemoryPages");
            }
            return maxTotalMemory;
        }
    }
}
