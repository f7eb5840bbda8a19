package dev.vivarium.core.engine;

import dev.vivarium.core.BackgroundTasks;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
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
 * <p>Where the adapter can tell that a request's client went away ({@link #arm(long,
 * BooleanSupplier)}), the sweeper asks every {@link #CLIENT_CHECK_TICKS} ticks and interrupts the
 * guest of a client that left, so a runaway does not outlive its client.
 *
 * <p>The sweeper survives anything a sweep throws, {@code OutOfMemoryError} included: it logs it
 * and sweeps again at the next tick.
 */
final class Watchdog implements AutoCloseable {
    static final long TICK_MILLIS = 5;
    static final long IDLE_MILLIS = 1000;

    /** Every this many ticks (50 ms) the sweeper asks whether running requests' clients left. */
    static final int CLIENT_CHECK_TICKS = 10;

    private int ticks;

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
        return arm(deadlineNanos, null, null);
    }

    /**
     * As {@link #arm(long)}, and interrupts the calling thread earlier when {@code clientGone}
     * (asked from the sweeper's thread, so it must be cheap and thread-safe; null: never) says the
     * request's client went away; the request counts among {@code owner}'s (null: none) until it is
     * disarmed.
     */
    Armed arm(long deadlineNanos, BooleanSupplier clientGone, RunningRequests owner) {
        Armed a = new Armed(this, Thread.currentThread(), deadlineNanos, clientGone, owner);
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

    /** How many of the requests being watched belong to {@code owner}. */
    int count(RunningRequests owner) {
        int n = 0;
        for (Armed a : armed) {
            if (a.owner == owner) {
                n++;
            }
        }
        return n;
    }

    /** Interrupts every request being watched that belongs to {@code owner}. */
    void interruptAll(RunningRequests owner) {
        for (Armed a : armed) {
            if (a.owner == owner) {
                a.interruptNow();
            }
        }
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
            boolean askClients = ++ticks % CLIENT_CHECK_TICKS == 0;
            for (Armed a : armed) {
                if (now - a.deadlineNanos >= 0) {
                    a.fire();
                } else if (askClients && a.clientGone != null && a.clientLeft()) {
                    a.fireClientGone();
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
        private final BooleanSupplier clientGone;
        private final RunningRequests owner;
        private boolean done;
        private boolean fired;
        private volatile boolean interruptedForClient;

        private Armed(
                Watchdog watchdog,
                Thread thread,
                long deadlineNanos,
                BooleanSupplier clientGone,
                RunningRequests owner) {
            this.watchdog = watchdog;
            this.owner = owner;
            this.thread = thread;
            this.deadlineNanos = deadlineNanos;
            this.clientGone = clientGone;
        }

        Watchdog watchdog() {
            return watchdog;
        }

        /** Asks the adapter; a probe that fails counts as "still there". */
        private boolean clientLeft() {
            try {
                return clientGone.getAsBoolean();
            } catch (RuntimeException e) {
                return false;
            }
        }

        private void fireClientGone() {
            synchronized (this) {
                if (done || fired) {
                    return;
                }
                interruptedForClient = true;
            }
            fire();
        }

        /** Whether the interrupt came because the client went away, not the deadline. */
        boolean interruptedForClient() {
            return interruptedForClient;
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
