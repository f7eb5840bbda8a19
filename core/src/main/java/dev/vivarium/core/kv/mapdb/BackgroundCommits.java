package dev.vivarium.core.kv.mapdb;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread per backend that keeps every open store's disk up to date: with {@code
 * kv.durability=interval} it commits the stores with new writes every {@code kv.syncInterval}
 * (writes are acknowledged once applied, see {@link MapDbKvStore}); in either mode it checkpoints a
 * store whose journal has held writes for a while ({@link WriteBuffer#checkpoint()}), so that a
 * store nobody writes to any more does not keep them in memory.
 *
 * <p>The thread is the backend's own and never interrupted (an interrupt during a commit would
 * close the store's file channel). A pass that takes longer than the period is followed by the next
 * at once.
 */
final class BackgroundCommits implements AutoCloseable {
    /** How often the stores are looked at when no interval commits them. */
    static final Duration CHECKPOINT_PERIOD = Duration.ofMillis(250);

    /** Age of a journal's oldest writes after which its store is checkpointed. */
    static final Duration CHECKPOINT_AGE = Duration.ofMillis(500);

    private final Set<MapDbKvStore> stores = ConcurrentHashMap.newKeySet();
    private final long periodNanos;
    private final long checkpointAgeNanos;
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * @param period how often the stores are looked at
     * @param checkpointAge age of a journal's oldest writes after which its store is checkpointed
     */
    BackgroundCommits(Duration period, Duration checkpointAge) {
        this.periodNanos = period.toNanos();
        this.checkpointAgeNanos = checkpointAge.toNanos();
        this.thread = new Thread(this::run, "vivarium-kv-background-commit");
        thread.setDaemon(true);
        thread.start();
    }

    /** Age of a journal's oldest writes after which its store is checkpointed. */
    long checkpointAgeNanos() {
        return checkpointAgeNanos;
    }

    void add(MapDbKvStore store) {
        stores.add(store);
    }

    void remove(MapDbKvStore store) {
        stores.remove(store);
    }

    private void run() {
        long next = System.nanoTime() + periodNanos;
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
            next = start + periodNanos;
        }
    }

    /** Stops the thread; the stores, closed first, committed what they held when they closed. */
    @Override
    public void close() {
        stopped = true;
        LockSupport.unpark(thread);
    }
}
