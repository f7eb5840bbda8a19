package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvUnavailableException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs the store operations that touch file channels (opening, writes, commits) on threads that are
 * never interrupted.
 *
 * <p>Why: the watchdog interrupts a request thread when its deadline passes, and an interrupt that
 * meets a {@code FileChannel} operation closes the channel for good, which would break the store
 * for every request of the deployment. Reads are plain memory reads of the mapped file and stay on
 * the caller's thread. The hand-off costs microseconds against a commit's milliseconds. An
 * interrupted caller stops waiting at once; its write still completes in the background, but is not
 * reported as done.
 */
final class WriterThreads implements AutoCloseable, java.util.concurrent.Executor {
    private final ThreadPoolExecutor pool;

    WriterThreads() {
        AtomicInteger n = new AtomicInteger();
        // one thread per concurrent writer, as many as there are waiting callers
        pool =
                new ThreadPoolExecutor(
                        0,
                        Integer.MAX_VALUE,
                        30,
                        TimeUnit.SECONDS,
                        new SynchronousQueue<>(),
                        r -> {
                            Thread t = new Writer(r, "vivarium-kv-writer-" + n.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
    }

    private static final class Writer extends Thread {
        Writer(Runnable r, String name) {
            super(r, name);
        }
    }

    /**
     * Runs {@code work} on a writer thread and does not wait for it.
     *
     * @throws java.util.concurrent.RejectedExecutionException once closed
     */
    @Override
    public void execute(Runnable work) {
        pool.execute(work);
    }

    /** Runs {@code work} on a writer thread and waits for it; runs inline on a writer thread. */
    <T> T call(Callable<T> work) {
        return call(work, null);
    }

    /**
     * {@link #call(Callable)} for work whose result holds a resource (an open store): if the caller
     * is interrupted before the work is done, {@code release} gets the result once it is, since
     * nobody else will.
     */
    <T> T call(Callable<T> work, Consumer<? super T> release) {
        return call(work, release, Long.MAX_VALUE, false);
    }

    /**
     * {@link #call(Callable)} that stops waiting once {@code deadlineNanos} ({@link
     * System#nanoTime()}) has passed; the work still completes in the background.
     */
    <T> T call(Callable<T> work, long deadlineNanos) {
        return call(work, null, deadlineNanos, deadlineNanos != Long.MAX_VALUE);
    }

    private <T> T call(
            Callable<T> work, Consumer<? super T> release, long deadlineNanos, boolean timed) {
        if (Thread.currentThread() instanceof Writer) {
            return callInline(work);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            pool.execute(
                    () -> {
                        try {
                            result.complete(work.call());
                        } catch (Throwable t) {
                            result.completeExceptionally(t);
                        }
                    });
        } catch (RejectedExecutionException e) {
            throw new KvUnavailableException("the KV stores are closed (the engine is stopping)");
        }
        try {
            if (!timed) {
                return result.get();
            }
            long left = deadlineNanos - System.nanoTime();
            try {
                return result.get(Math.max(0, left), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new KvUnavailableException(
                        "the KV operation was not done by the request's deadline");
            }
        } catch (InterruptedException e) {
            if (release != null) {
                result.thenAccept(release);
            }
            Thread.currentThread().interrupt();
            throw new KvUnavailableException(
                    "interrupted before the KV operation was known to be done");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new KvUnavailableException("KV operation failed: " + cause, cause);
        }
    }

    private static <T> T callInline(Callable<T> work) {
        try {
            return work.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new KvUnavailableException("KV operation failed: " + e, e);
        }
    }

    /** Lets running operations finish; they were all waited for by their callers. */
    @Override
    public void close() {
        pool.shutdown();
    }
}
