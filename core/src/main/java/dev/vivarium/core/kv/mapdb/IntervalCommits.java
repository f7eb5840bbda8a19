package dev.vivarium.core.kv.mapdb;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code kv.durability=interval}: one thread that commits every open store with new writes every
 * {@code kv.syncInterval}, for all the stores of a backend. Writes are acknowledged once applied
 * (see {@link MapDbKvStore}); this thread makes them durable a little later, many per commit.
 *
 * <p>The thread is the backend's own and never interrupted (an interrupt during a commit would
 * close the store's file channel). A pass that takes longer than the interval is followed by the
 * next at once.
 */
final class IntervalCommits implements AutoCloseable {
    private final Set<MapDbKvStore> stores = ConcurrentHashMap.newKeySet();
    private final long intervalNanos;
    private final Thread thread;
    private volatile boolean stopped;

    IntervalCommits(Duration interval) {
        this.intervalNanos = interval.toNanos();
        this.thread = new Thread(this::run, "vivarium-kv-interval-commit");
        thread.setDaemon(true);
        thread.start();
    }

    void add(MapDbKvStore store) {
        stores.add(store);
    }

    void remove(MapDbKvStore store) {
        stores.remove(store);
    }

    private void run() {
        long next = System.nanoTime() + intervalNanos;
        while (!stopped) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
                continue;
            }
            long start = System.nanoTime();
            for (MapDbKvStore store : stores) {
                store.commitPending(); // logs and marks the store failed itself
            }
            next = start + intervalNanos;
        }
    }

    /** Stops the thread; the stores, closed first, committed what they held when they closed. */
    @Override
    public void close() {
        stopped = true;
        LockSupport.unpark(thread);
    }
}
