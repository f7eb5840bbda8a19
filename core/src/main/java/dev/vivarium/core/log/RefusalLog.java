package dev.vivarium.core.log;

import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Log lines about refused client requests (401s and 403s of the admin API, 413s, 508s), which any
 * anonymous client can cause at will: at most {@code perSecond} lines a second per instance; the
 * rest are counted and the next line that goes out says how many were suppressed. Callers clip
 * client-supplied text ({@link Clip#clip}) to keep each line short. Thread-safe.
 */
public final class RefusalLog {
    private static final long SECOND = 1_000_000_000L;

    /** Lines per second a refusal log writes by default. */
    public static final int DEFAULT_PER_SECOND = 10;

    private final Logger log;
    private final int perSecond;
    private final LongSupplier nanoTime;
    private long windowStart;
    private int inWindow;
    private long suppressed;

    public RefusalLog(Logger log) {
        this(log, DEFAULT_PER_SECOND, System::nanoTime);
    }

    public RefusalLog(Logger log, int perSecond, LongSupplier nanoTime) {
        this.log = log;
        this.perSecond = perSecond;
        this.nanoTime = nanoTime;
        this.windowStart = nanoTime.getAsLong();
    }

    /** Logs at INFO, unless this second's lines are used up; then only counts. */
    public void info(String format, Object... args) {
        long skipped;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (now - windowStart >= SECOND) {
                windowStart = now;
                inWindow = 0;
            }
            if (inWindow >= perSecond) {
                suppressed++;
                return;
            }
            inWindow++;
            skipped = suppressed;
            suppressed = 0;
        }
        if (!log.isInfoEnabled()) {
            return;
        }
        if (skipped > 0) {
            log.info(
                    format + " ({} similar lines suppressed before this one)",
                    append(args, skipped));
        } else {
            log.info(format, args);
        }
    }

    /** Lines counted but not written since the last one written. */
    public synchronized long suppressed() {
        return suppressed;
    }

    private static Object[] append(Object[] args, Object more) {
        Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = more;
        return all;
    }
}
