package dev.vivarium.core.config;

import java.time.Duration;

/**
 * What one deployment may take from the others: its share of the server's threads and cores
 * (admission control) and of the server's log (guest output budgets).
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>name</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code maxConcurrent}</td><td>the CPUs, at least 2</td><td>instances of one
 *       deployment running at once; route and upload parameter {@code maxConcurrent}</td></tr>
 *   <tr><td>{@code maxQueued}</td><td>48</td><td>requests of one deployment waiting for one of
 *       those; more get 503 at once; route and upload parameter {@code maxQueued}</td></tr>
 *   <tr><td>{@code queueTimeout}</td><td>1s</td><td>longest a request waits there (503 with
 *       {@code Retry-After} after)</td></tr>
 *   <tr><td>{@code guestLog.maxLines}</td><td>100</td><td>guest output lines kept per
 *       request</td></tr>
 *   <tr><td>{@code guestLog.maxBytes}</td><td>64KB</td><td>guest output bytes kept per
 *       request</td></tr>
 *   <tr><td>{@code guestLog.linesPerSecond}</td><td>200</td><td>guest output lines kept per
 *       deployment and second (bursts up to that many)</td></tr>
 *   <tr><td>{@code guestLog.bytesPerSecond}</td><td>256KB</td><td>guest output bytes kept per
 *       deployment and second</td></tr>
 * </table>
 *
 * <p>Why these defaults: a deployment may keep its running and waiting requests on at most about a
 * quarter of a default 200-thread server pool (Jetty's and Tomcat's), so the site's own pages and
 * the admin API keep the rest; and at most as many instances run as there are cores, so a
 * deployment spinning in loops leaves each other request a fair share of the scheduler.
 */
public final class IsolationOptions {
    public static final int DEFAULT_MAX_QUEUED = 48;
    public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_LOG_LINES = 100;
    public static final long DEFAULT_LOG_BYTES = 64L << 10;
    public static final int DEFAULT_LOG_LINES_PER_SECOND = 200;
    public static final long DEFAULT_LOG_BYTES_PER_SECOND = 256L << 10;

    private final int maxConcurrent;
    private final int maxQueued;
    private final Duration queueTimeout;
    private final int logLines;
    private final long logBytes;
    private final int logLinesPerSecond;
    private final long logBytesPerSecond;

    private IsolationOptions(Builder b) {
        this.maxConcurrent = b.maxConcurrent;
        this.maxQueued = b.maxQueued;
        this.queueTimeout = b.queueTimeout;
        this.logLines = b.logLines;
        this.logBytes = b.logBytes;
        this.logLinesPerSecond = b.logLinesPerSecond;
        this.logBytesPerSecond = b.logBytesPerSecond;
    }

    /** The CPUs, at least 2: see the class comment. */
    public static int defaultMaxConcurrent() {
        return Math.max(2, Runtime.getRuntime().availableProcessors());
    }

    public static Builder builder() {
        return new Builder();
    }

    public static IsolationOptions defaults() {
        return builder().build();
    }

    /** Reads the settings named in the class comment. */
    public static IsolationOptions parse(Settings s) {
        Builder b = builder();
        b.maxConcurrent(s.integer("maxConcurrent", b.maxConcurrent, 1, 100_000));
        b.maxQueued(s.integer("maxQueued", DEFAULT_MAX_QUEUED, 0, 100_000));
        b.queueTimeout(s.duration("queueTimeout", DEFAULT_QUEUE_TIMEOUT));
        b.logLines(s.integer("guestLog.maxLines", DEFAULT_LOG_LINES, 0, 1_000_000));
        b.logBytes(s.size("guestLog.maxBytes", DEFAULT_LOG_BYTES));
        b.logLinesPerSecond(
                s.integer("guestLog.linesPerSecond", DEFAULT_LOG_LINES_PER_SECOND, 0, 1_000_000));
        b.logBytesPerSecond(s.size("guestLog.bytesPerSecond", DEFAULT_LOG_BYTES_PER_SECOND));
        return b.build();
    }

    /** {@code maxConcurrent}: instances of one deployment running at once. */
    public int maxConcurrent() {
        return maxConcurrent;
    }

    /** {@code maxQueued}: requests of one deployment waiting for an instance. */
    public int maxQueued() {
        return maxQueued;
    }

    /** {@code queueTimeout}: the longest a request waits for an instance. */
    public Duration queueTimeout() {
        return queueTimeout;
    }

    /** {@code guestLog.maxLines}: guest output lines kept per request. */
    public int logLines() {
        return logLines;
    }

    /** {@code guestLog.maxBytes}: guest output bytes kept per request. */
    public long logBytes() {
        return logBytes;
    }

    /** {@code guestLog.linesPerSecond}: guest output lines kept per deployment and second. */
    public int logLinesPerSecond() {
        return logLinesPerSecond;
    }

    /** {@code guestLog.bytesPerSecond}: guest output bytes kept per deployment and second. */
    public long logBytesPerSecond() {
        return logBytesPerSecond;
    }

    @Override
    public String toString() {
        return "isolation(maxConcurrent="
                + maxConcurrent
                + ", maxQueued="
                + maxQueued
                + ", queueTimeout="
                + queueTimeout.toMillis()
                + "ms, guestLog "
                + logLines
                + " lines/"
                + logBytes
                + " bytes per request, "
                + logLinesPerSecond
                + " lines/"
                + logBytesPerSecond
                + " bytes per deployment and second)";
    }

    /** Builds options; every value defaults as documented on the class. */
    public static final class Builder {
        private int maxConcurrent = defaultMaxConcurrent();
        private int maxQueued = DEFAULT_MAX_QUEUED;
        private Duration queueTimeout = DEFAULT_QUEUE_TIMEOUT;
        private int logLines = DEFAULT_LOG_LINES;
        private long logBytes = DEFAULT_LOG_BYTES;
        private int logLinesPerSecond = DEFAULT_LOG_LINES_PER_SECOND;
        private long logBytesPerSecond = DEFAULT_LOG_BYTES_PER_SECOND;

        private Builder() {}

        public Builder maxConcurrent(int n) {
            if (n < 1) {
                throw Settings.bad("maxConcurrent", String.valueOf(n), "1 or more");
            }
            this.maxConcurrent = n;
            return this;
        }

        public Builder maxQueued(int n) {
            if (n < 0) {
                throw Settings.bad("maxQueued", String.valueOf(n), "0 or more");
            }
            this.maxQueued = n;
            return this;
        }

        public Builder queueTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw Settings.bad("queueTimeout", String.valueOf(d), "a positive duration");
            }
            this.queueTimeout = d;
            return this;
        }

        public Builder logLines(int n) {
            if (n < 0) {
                throw Settings.bad("guestLog.maxLines", String.valueOf(n), "0 or more");
            }
            this.logLines = n;
            return this;
        }

        public Builder logBytes(long n) {
            if (n < 0) {
                throw Settings.bad("guestLog.maxBytes", String.valueOf(n), "0 or more");
            }
            this.logBytes = n;
            return this;
        }

        public Builder logLinesPerSecond(int n) {
            if (n < 0) {
                throw Settings.bad("guestLog.linesPerSecond", String.valueOf(n), "0 or more");
            }
            this.logLinesPerSecond = n;
            return this;
        }

        public Builder logBytesPerSecond(long n) {
            if (n < 0) {
                throw Settings.bad("guestLog.bytesPerSecond", String.valueOf(n), "0 or more");
            }
            this.logBytesPerSecond = n;
            return this;
        }

        public IsolationOptions build() {
            return new IsolationOptions(this);
        }
    }
}
