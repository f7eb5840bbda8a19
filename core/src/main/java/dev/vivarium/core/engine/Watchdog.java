package dev.vivarium.core.engine;

import dev.vivarium.core.BackgroundTasks;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Interrupts a thread running a guest when its deadline passes. Chicory's compiled code checks the
 * interrupt flag at calls and backward jumps, so the guest stops within milliseconds.
 *
 * <p>Arming and disarming touch only a concurrent set: no thread is woken per request (a timer
 * queue would signal its thread on every request whose deadline becomes the earliest, which
 * measured as the largest host cost after memory reset). One daemon thread sweeps the set every
 * {@link #TICK_MILLIS} ms, so an interrupt comes at most that late; after {@link #IDLE_MILLIS} ms
 * with nothing armed it parks until the next {@link #arm}.
 *
 * <p>The interrupt and {@link Armed#disarm()} are serialized on the {@link Armed} object, so once
 * disarm returns no interrupt can still arrive, and an interrupt that did arrive is cleared before
 * the thread goes back to the container.
 *
 * <p>The sweeper survives anything a sweep throws, {@code OutOfMemoryError} included: it logs it
 * and sweeps again at the next tick.
 */
final class Watchdog implements AutoCloseable {
    static final long TICK_MILLIS = 5;
    static final long IDLE_MILLIS = 1000;

    /** A sweep that keeps failing is logged at most once a minute. */
    private static final long FAILURE_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

    private final Set<Armed> armed = ConcurrentHashMap.newKeySet();
    private final Thread sweeper;
    private volatile boolean parked;
    private volatile boolean closed;

    Watchdog() {
        sweeper = new Thread(this::sweep, "vivarium-watchdog");
        sweeper.setDaemon(true);
        sweeper.start();
    }

    /** Interrupts the calling thread at {@code deadlineNanos} ({@code System.nanoTime()}). */
    Armed arm(long deadlineNanos) {
        Armed a = new Armed(this, Thread.currentThread(), deadlineNanos);
        armed.add(a);
        // the sweeper sets parked before its last look at the set, so it cannot miss this one
        if (parked) {
            LockSupport.unpark(sweeper);
        }
        return a;
    }

    /** Whether the sweeper thread is running (it stops only when the watchdog is closed). */
    boolean alive() {
        return !closed && sweeper.isAlive();
    }

    /** Deadlines being watched now; for tests. */
    int armedCount() {
        return armed.size();
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(sweeper);
    }

    private void sweep() {
        long idle = 0;
        long lastFailureLog = 0;
        while (!closed) {
            try {
                idle = tick(idle);
            } catch (Throwable t) {
                // e.g. an OutOfMemoryError: if it ended this thread, no guest would ever be
                // stopped at its deadline again
                long now = System.nanoTime();
                if (lastFailureLog == 0 || now - lastFailureLog >= FAILURE_LOG_NANOS) {
                    lastFailureLog = now;
                    BackgroundTasks.logFailure(LOG, "the watchdog's sweep", t);
                }
                idle = 0;
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS));
            }
        }
    }

    /** One sweep, then the wait for the next; returns the updated count of idle ticks. */
    private long tick(long idle) {
        if (armed.isEmpty()) {
            if (++idle >= IDLE_MILLIS / TICK_MILLIS) {
                parked = true;
                if (armed.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                parked = false;
                return 0;
            }
        } else {
            idle = 0;
            long now = System.nanoTime();
            for (Armed a : armed) {
                if (now - a.deadlineNanos >= 0) {
                    a.fire();
                }
            }
        }
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS));
        return idle;
    }

    static final class Armed {
        private final Watchdog watchdog;
        private final Thread thread;
        private final long deadlineNanos;
        private boolean done;
        private boolean fired;

        private Armed(Watchdog watchdog, Thread thread, long deadlineNanos) {
            this.watchdog = watchdog;
            this.thread = thread;
            this.deadlineNanos = deadlineNanos;
        }

        /** Interrupts the request before its deadline (its deployment went away). */
        void interruptNow() {
            fire();
        }

        private synchronized void fire() {
            if (!done && !fired) {
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
            watchdog.armed.remove(this);
            if (didFire) {
                Thread.interrupted();
            }
            return didFire;
        }
    }
}
