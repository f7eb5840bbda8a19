package dev.vivarium.core;

import java.util.Objects;
import org.slf4j.Logger;

/**
 * Keeps the engine's background work (the watchdog's sweep, KV and deployment expiry, any scheduled
 * task) running whatever one run of it throws.
 *
 * <p>A {@code ScheduledExecutorService} silently cancels a periodic task the first time it throws,
 * and a thread ends at its first uncaught {@code Throwable}: an {@code OutOfMemoryError} caused by
 * one guest would otherwise stop every deadline or every expiry for the life of the server. Errors
 * are caught too: after an {@code OutOfMemoryError} the heap is usually usable again once the
 * allocation that failed is gone, and the next run is the one that may succeed.
 */
public final class BackgroundTasks {
    private BackgroundTasks() {}

    /**
     * {@code task}, catching and logging whatever it throws, so the thread or the schedule running
     * it goes on.
     *
     * @param what names the task in the log, e.g. "KV expiry run"
     */
    public static Runnable surviving(Logger log, String what, Runnable task) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(task, "task");
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {
                logFailure(log, what, t);
            }
        };
    }

    /**
     * Logs that a run of background work failed and will be tried again: a {@code RuntimeException}
     * at WARN, an {@code Error} at ERROR. Never throws, even when logging fails for want of memory.
     */
    public static void logFailure(Logger log, String what, Throwable t) {
        try {
            if (t instanceof Error) {
                log.error("{} failed with {}; it keeps running", what, t.toString(), t);
            } else {
                log.warn("{} failed; it keeps running", what, t);
            }
        } catch (Throwable ignored) {
            // no memory even to log: the next run logs, or succeeds
        }
    }
}
