package dev.vivarium.core.engine;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Interrupts a thread running a guest when its deadline passes. Chicory's compiled code checks the
 * interrupt flag at calls and backward jumps, so the guest stops within milliseconds.
 *
 * <p>The interrupt and {@link Armed#disarm()} are serialized on the {@link Armed} object, so once
 * disarm returns no interrupt can still arrive, and an interrupt that did arrive is cleared before
 * the thread goes back to the container.
 */
final class Watchdog implements AutoCloseable {
    private final ScheduledThreadPoolExecutor timer;

    Watchdog() {
        timer =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "vivarium-watchdog");
                            t.setDaemon(true);
                            return t;
                        });
        timer.setRemoveOnCancelPolicy(true);
    }

    /** Interrupts the calling thread at {@code deadlineNanos} ({@code System.nanoTime()}). */
    Armed arm(long deadlineNanos) {
        Armed a = new Armed(Thread.currentThread());
        a.future = timer.schedule(a, deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        return a;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    static final class Armed implements Runnable {
        private final Thread thread;
        private volatile ScheduledFuture<?> future;
        private boolean done;
        private boolean fired;

        private Armed(Thread thread) {
            this.thread = thread;
        }

        @Override
        public synchronized void run() {
            if (!done) {
                fired = true;
                thread.interrupt();
            }
        }

        /** Stops the watch; returns whether the deadline passed (the interrupt is cleared). */
        boolean disarm() {
            boolean didFire;
            synchronized (this) {
                done = true;
                didFire = fired;
            }
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
            if (didFire) {
                Thread.interrupted();
            }
            return didFire;
        }
    }
}
