package dev.vivarium.core.outbound;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Settings;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Outbound HTTP settings ({@code outbound.*}). Every limit fails the one hostcall that breaks it
 * with the ABI's {@code -1} and an INFO log line naming the limit; the guest decides what to do.
 *
 * <ul>
 *   <li>{@code outbound.allow} - allowlist entries for every route, separated by spaces or commas
 *       (default: none; see {@link OutboundPolicy});
 *   <li>{@code outbound.connectTimeout} - TCP (and TLS) connect timeout, default 2s;
 *   <li>{@code outbound.timeout} - total time of one request, default 10s; never past the guest
 *       request's own deadline;
 *   <li>{@code outbound.maxResponseSize} - largest response body, default 8MB;
 *   <li>{@code outbound.maxTotalResponseSize} - all response bodies one guest request receives
 *       together, default 32MB (what bounds the host memory one guest request can hold in
 *       responses, since {@code send_async} keeps several in flight);
 *   <li>{@code outbound.maxTotalRequestSize} - the bodies of all requests one guest request
 *       creates, together, default 32MB (with a body up to the guest's memory size per request,
 *       {@code maxSubrequests} of them would otherwise be held at once);
 *   <li>{@code outbound.maxSubrequests} - requests one guest request may send, default 32;
 *   <li>{@code outbound.maxPending} - requests one guest request may have in flight with {@code
 *       send_async}, default 32;
 *   <li>{@code outbound.maxHops} - how many Vivarium guests in a row one request may pass through
 *       (counted in its {@code CDN-Loop} header, see {@link Hops}), default 3: a guest's request
 *       that would make more fails with -1, and an incoming request that already has more is
 *       answered 508 Loop Detected before any guest runs;
 *   <li>{@code outbound.maxConcurrent} - outbound requests one deployment may have in flight, all
 *       its guest requests together, default 64;
 *   <li>{@code outbound.maxConnections} - connections one deployment may open to one destination,
 *       default 16 (each deployment has its own);
 *   <li>{@code outbound.trustStore} - the CA certificates trusted for {@code https} destinations,
 *       instead of the JDK's default ones: a PKCS12 or JKS key store, or a PEM file of one or more
 *       certificates; default: the JDK's trusted CAs;
 *   <li>{@code outbound.trustStorePassword} - the key store's password, if it has one.
 * </ul>
 *
 * <p>Host names are always verified against the certificate of an {@code https} destination.
 */
public final class OutboundOptions {
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final long DEFAULT_MAX_RESPONSE_SIZE = 8L << 20;
    static final long DEFAULT_MAX_TOTAL_RESPONSE_SIZE = 32L << 20;
    static final long DEFAULT_MAX_TOTAL_REQUEST_SIZE = 32L << 20;
    static final int DEFAULT_MAX_SUBREQUESTS = 32;
    static final int DEFAULT_MAX_PENDING = 32;
    static final int DEFAULT_MAX_HOPS = 3;
    static final int DEFAULT_MAX_CONCURRENT = 64;
    static final int DEFAULT_MAX_CONNECTIONS = 16;

    /** The buffering client keeps a body in one array, so 1GB is the ceiling. */
    static final long MAX_RESPONSE_SIZE_CEILING = 1L << 30;

    private final List<String> allow;
    private final Duration connectTimeout;
    private final Duration timeout;
    private final long maxResponseSize;
    private final long maxTotalResponseSize;
    private final long maxTotalRequestSize;
    private final int maxSubrequests;
    private final int maxPending;
    private final int maxHops;
    private final int maxConcurrent;
    private final int maxConnections;
    private final Path trustStore;
    private final KeyStore trusted;

    private OutboundOptions(Builder b) {
        this.allow = List.copyOf(b.allow);
        this.connectTimeout = b.connectTimeout;
        this.timeout = b.timeout;
        this.maxResponseSize = b.maxResponseSize;
        this.maxTotalResponseSize = b.maxTotalResponseSize;
        this.maxTotalRequestSize = b.maxTotalRequestSize;
        this.maxSubrequests = b.maxSubrequests;
        this.maxPending = b.maxPending;
        this.maxHops = b.maxHops;
        this.maxConcurrent = b.maxConcurrent;
        this.maxConnections = b.maxConnections;
        this.trustStore = b.trustStore;
        // fail at start, naming the setting, rather than at the first request
        OutboundPolicy.parse("(all routes)", allow, "Vivarium setting 'outbound.allow'");
        if (trustStore == null && b.trustStorePassword != null) {
            throw new ConfigurationException(
                    "outbound.trustStorePassword is set but outbound.trustStore is not");
        }
        this.trusted =
                trustStore == null ? null : OutboundTrust.load(trustStore, b.trustStorePassword);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Reads the {@code outbound.*} settings; see the class comment for names and defaults. */
    public static OutboundOptions parse(Settings s) {
        Builder b = builder();
        String allow = s.string("outbound.allow");
        if (allow != null) {
            b.allow(Arrays.asList(allow.trim().split("[\\s,]+")));
        }
        b.connectTimeout(s.duration("outbound.connectTimeout", DEFAULT_CONNECT_TIMEOUT));
        b.timeout(s.duration("outbound.timeout", DEFAULT_TIMEOUT));
        long size = s.size("outbound.maxResponseSize", DEFAULT_MAX_RESPONSE_SIZE);
        if (size < 1 || size > MAX_RESPONSE_SIZE_CEILING) {
            throw Settings.bad(
                    "outbound.maxResponseSize", Long.toString(size), "a size from 1 byte to 1GB");
        }
        b.maxResponseSize(size);
        b.maxTotalResponseSize(
                s.size("outbound.maxTotalResponseSize", DEFAULT_MAX_TOTAL_RESPONSE_SIZE));
        b.maxTotalRequestSize(
                s.size("outbound.maxTotalRequestSize", DEFAULT_MAX_TOTAL_REQUEST_SIZE));
        b.maxSubrequests(s.integer("outbound.maxSubrequests", DEFAULT_MAX_SUBREQUESTS, 0, 10_000));
        b.maxPending(s.integer("outbound.maxPending", DEFAULT_MAX_PENDING, 0, 10_000));
        b.maxHops(s.integer("outbound.maxHops", DEFAULT_MAX_HOPS, 0, 100));
        b.maxConcurrent(s.integer("outbound.maxConcurrent", DEFAULT_MAX_CONCURRENT, 1, 100_000));
        b.maxConnections(s.integer("outbound.maxConnections", DEFAULT_MAX_CONNECTIONS, 1, 100_000));
        String trustStore = s.string("outbound.trustStore");
        if (trustStore != null) {
            b.trustStore(Path.of(trustStore));
        }
        b.trustStorePassword(s.string("outbound.trustStorePassword"));
        return b.build();
    }

    public static OutboundOptions defaults() {
        return builder().build();
    }

    /** Entries of {@code outbound.allow}, added to every route's allowlist. */
    public List<String> allow() {
        return allow;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration timeout() {
        return timeout;
    }

    public long maxResponseSize() {
        return maxResponseSize;
    }

    public long maxTotalResponseSize() {
        return maxTotalResponseSize;
    }

    public long maxTotalRequestSize() {
        return maxTotalRequestSize;
    }

    public int maxSubrequests() {
        return maxSubrequests;
    }

    public int maxPending() {
        return maxPending;
    }

    /** {@code outbound.maxHops}: Vivarium guests in a row one request may pass through. */
    public int maxHops() {
        return maxHops;
    }

    /** {@code outbound.maxConcurrent}: requests one deployment may have in flight. */
    public int maxConcurrent() {
        return maxConcurrent;
    }

    /** {@code outbound.maxConnections}: connections per deployment and destination. */
    public int maxConnections() {
        return maxConnections;
    }

    /** {@code outbound.trustStore}, or null for the JDK's trusted CAs. */
    public Path trustStore() {
        return trustStore;
    }

    /** The certificates of {@link #trustStore()}, read once; null for the JDK's trusted CAs. */
    KeyStore trusted() {
        return trusted;
    }

    @Override
    public String toString() {
        return "outbound(allow="
                + allow
                + ", connectTimeout="
                + connectTimeout.toMillis()
                + "ms, timeout="
                + timeout.toMillis()
                + "ms, maxResponseSize="
                + maxResponseSize
                + ", maxTotalResponseSize="
                + maxTotalResponseSize
                + ", maxTotalRequestSize="
                + maxTotalRequestSize
                + ", maxSubrequests="
                + maxSubrequests
                + ", maxPending="
                + maxPending
                + ", maxHops="
                + maxHops
                + ", maxConcurrent="
                + maxConcurrent
                + ", maxConnections="
                + maxConnections
                + ", trustStore="
                + (trustStore == null ? "(JDK default)" : trustStore)
                + ")";
    }

    /** Builds options; every value defaults as documented on the class. */
    public static final class Builder {
        private List<String> allow = List.of();
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration timeout = DEFAULT_TIMEOUT;
        private long maxResponseSize = DEFAULT_MAX_RESPONSE_SIZE;
        private long maxTotalResponseSize = DEFAULT_MAX_TOTAL_RESPONSE_SIZE;
        private long maxTotalRequestSize = DEFAULT_MAX_TOTAL_REQUEST_SIZE;
        private int maxSubrequests = DEFAULT_MAX_SUBREQUESTS;
        private int maxPending = DEFAULT_MAX_PENDING;
        private int maxHops = DEFAULT_MAX_HOPS;
        private int maxConcurrent = DEFAULT_MAX_CONCURRENT;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Path trustStore;
        private String trustStorePassword;

        private Builder() {}

        public Builder allow(List<String> entries) {
            this.allow = List.copyOf(entries);
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive("outbound.connectTimeout", d);
            return this;
        }

        public Builder timeout(Duration d) {
            this.timeout = positive("outbound.timeout", d);
            return this;
        }

        public Builder maxResponseSize(long bytes) {
            if (bytes < 1 || bytes > MAX_RESPONSE_SIZE_CEILING) {
                throw new ConfigurationException(
                        "outbound.maxResponseSize must be from 1 byte to 1GB, got " + bytes);
            }
            this.maxResponseSize = bytes;
            return this;
        }

        /** All response bodies of one guest request together, at least 1 byte. */
        public Builder maxTotalResponseSize(long bytes) {
            if (bytes < 1) {
                throw new ConfigurationException(
                        "outbound.maxTotalResponseSize must be at least 1 byte, got " + bytes);
            }
            this.maxTotalResponseSize = bytes;
            return this;
        }

        /** The bodies of all requests one guest request creates, together; 0 allows none. */
        public Builder maxTotalRequestSize(long bytes) {
            if (bytes < 0) {
                throw new ConfigurationException(
                        "outbound.maxTotalRequestSize must not be negative, got " + bytes);
            }
            this.maxTotalRequestSize = bytes;
            return this;
        }

        /**
         * CA certificates for {@code https} destinations, replacing the JDK's: a PKCS12 or JKS key
         * store, or a PEM file; null for the JDK's. Read (and checked) by {@link #build()}.
         */
        public Builder trustStore(Path file) {
            this.trustStore = file;
            return this;
        }

        /** The trust store's password; null if it has none. */
        public Builder trustStorePassword(String password) {
            this.trustStorePassword = password;
            return this;
        }

        public Builder maxSubrequests(int n) {
            this.maxSubrequests = nonNegative("outbound.maxSubrequests", n);
            return this;
        }

        public Builder maxPending(int n) {
            this.maxPending = nonNegative("outbound.maxPending", n);
            return this;
        }

        /** Vivarium guests in a row a request may pass through; 0 allows no guest's request. */
        public Builder maxHops(int n) {
            this.maxHops = nonNegative("outbound.maxHops", n);
            return this;
        }

        /** Outbound requests one deployment may have in flight, at least 1. */
        public Builder maxConcurrent(int n) {
            if (n < 1) {
                throw new ConfigurationException(
                        "outbound.maxConcurrent must be at least 1, got " + n);
            }
            this.maxConcurrent = n;
            return this;
        }

        /** Connections one deployment may open to one destination, at least 1. */
        public Builder maxConnections(int n) {
            if (n < 1) {
                throw new ConfigurationException(
                        "outbound.maxConnections must be at least 1, got " + n);
            }
            this.maxConnections = n;
            return this;
        }

        public OutboundOptions build() {
            return new OutboundOptions(this);
        }

        private static Duration positive(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new ConfigurationException(name + " must be greater than zero, got " + d);
            }
            return d;
        }

        private static int nonNegative(String name, int n) {
            if (n < 0) {
                throw new ConfigurationException(name + " must not be negative, got " + n);
            }
            return n;
        }
    }
}
