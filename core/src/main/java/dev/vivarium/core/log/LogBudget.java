package dev.vivarium.core.log;

import java.util.function.LongSupplier;

/**
 * What one deployment's guests may write to the server log: a token bucket of lines and one of
 * bytes, refilled at so many per second (a second's worth is the largest burst). Shared by the
 * deployment's requests; thread-safe. Lines over the budget are dropped and counted, and the count
 * is logged at most once a second (see {@link #summary}), so a deployment flooding its output costs
 * the log at most its rate plus one line a second.
 */
public final class LogBudget {
    private static final long SECOND = 1_000_000_000L;

    /** Writes nothing off: for tests and the admin API's route. */
    public static final LogBudget UNLIMITED = new LogBudget(Long.MAX_VALUE, Long.MAX_VALUE);

    private final long linesPerSecond;
    private final long bytesPerSecond;
    private final LongSupplier nanoTime;
    private double lines;
    private double bytes;
    private long refilledAt;
    private long lastSummaryAt;
    private boolean summarized;
    private long droppedLines;
    private long droppedBytes;

    public LogBudget(long linesPerSecond, long bytesPerSecond) {
        this(linesPerSecond, bytesPerSecond, System::nanoTime);
    }

    /**
     * @param nanoTime the clock ({@code System.nanoTime()}; tests give a fixed one)
     */
    public LogBudget(long linesPerSecond, long bytesPerSecond, LongSupplier nanoTime) {
        this.linesPerSecond = linesPerSecond;
        this.bytesPerSecond = bytesPerSecond;
        this.nanoTime = nanoTime;
        this.lines = linesPerSecond;
        this.bytes = bytesPerSecond;
        this.refilledAt = nanoTime.getAsLong();
    }

    /** Takes one line of {@code size} bytes from the budget; false if it does not fit. */
    public synchronized boolean take(long size) {
        if (linesPerSecond == Long.MAX_VALUE) {
            return true;
        }
        refill();
        if (lines < 1 || bytes < size) {
            return false;
        }
        lines -= 1;
        bytes -= size;
        return true;
    }

    /**
     * Adds lines a request dropped to the count, and returns the count to report now (resetting
     * it), or null while the last report is less than a second old.
     */
    public synchronized Dropped summary(long lines, long bytes) {
        droppedLines += lines;
        droppedBytes += bytes;
        long now = nanoTime.getAsLong();
        if (droppedLines == 0 || summarized && now - lastSummaryAt < SECOND) {
            return null;
        }
        summarized = true;
        lastSummaryAt = now;
        Dropped d = new Dropped(droppedLines, droppedBytes);
        droppedLines = 0;
        droppedBytes = 0;
        return d;
    }

    private void refill() {
        long now = nanoTime.getAsLong();
        long elapsed = now - refilledAt;
        if (elapsed <= 0) {
            return;
        }
        refilledAt = now;
        double share = (double) elapsed / SECOND;
        lines = Math.min(linesPerSecond, lines + share * linesPerSecond);
        bytes = Math.min(bytesPerSecond, bytes + share * bytesPerSecond);
    }

    /** Lines and bytes dropped since the last report. */
    public record Dropped(long lines, long bytes) {}

    @Override
    public String toString() {
        return linesPerSecond == Long.MAX_VALUE
                ? "unlimited"
                : linesPerSecond + " lines, " + bytesPerSecond + " bytes per second";
    }
}
