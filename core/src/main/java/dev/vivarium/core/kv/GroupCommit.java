package dev.vivarium.core.kv;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Makes a store's applied writes durable, letting concurrent writers share one commit (group
 * commit).
 *
 * <p>Every complete write gets a sequence number under the store's write lock. A writer then waits
 * until a commit covers its number. The first waiter to find no commit running becomes the leader:
 * it takes the write lock (so the commit captures whole operations only, never half of one), notes
 * the last applied number, commits, and wakes everybody that commit covered. Writers that arrive
 * while a commit runs are applied as soon as it ends and are all covered by the next one, so under
 * load one fsync serves many writes.
 *
 * <p>A failed commit is sticky: the store's state on disk is then only what earlier commits wrote,
 * so every write no successful commit covered, and every later operation on this store object,
 * fails rather than report a write that may be lost or show one that was; {@link KvStores} then
 * opens the store again from disk. A write an earlier commit covered is reported durable even if
 * its writer only learns so after a later commit failed (it is on disk, and must not be retried).
 */
final class GroupCommit {
    /** A commit of everything applied so far; runs under the write lock. */
    @FunctionalInterface
    interface Committer {
        void commit();
    }

    private final ReentrantLock writeLock;
    private final Committer committer;
    private final LongAdder commits = new LongAdder();
    private final Object monitor = new Object();

    /** Last applied write; guarded by {@link #writeLock}. */
    private long applied;

    /** Last write known durable; guarded by {@link #monitor}. */
    private long durable;

    private boolean committing;
    private volatile RuntimeException failure;

    GroupCommit(ReentrantLock writeLock, Committer committer) {
        this.writeLock = writeLock;
        this.committer = committer;
    }

    /** Numbers a complete write; call under the write lock. */
    long applied() {
        return ++applied;
    }

    /** The last applied write's number; call under the write lock. */
    long lastApplied() {
        return applied;
    }

    /** Commits now, under the write lock the caller holds: one commit per write, no grouping. */
    void commitHeld(long seq) {
        synchronized (monitor) {
            if (durable >= seq) {
                return;
            }
        }
        checkFailure();
        try {
            committer.commit();
            commits.increment();
        } catch (RuntimeException | Error e) {
            fail(e);
            throw unavailable();
        }
        synchronized (monitor) {
            durable = Math.max(durable, seq);
        }
    }

    /**
     * Returns once write {@code seq} is durable; may run the commit itself.
     *
     * @throws KvUnavailableException if a commit failed, or the thread was interrupted (the
     *     deadline passed) before the write was known durable
     */
    void awaitDurable(long seq) {
        synchronized (monitor) {
            while (true) {
                // a write an earlier commit covered is durable, whatever failed after it
                if (durable >= seq) {
                    return;
                }
                checkFailure();
                if (!committing) {
                    committing = true;
                    break;
                }
                try {
                    monitor.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KvUnavailableException(
                            "interrupted before the KV write was known to be committed");
                }
            }
        }
        lead();
        synchronized (monitor) {
            if (durable >= seq) {
                return;
            }
        }
        checkFailure();
    }

    private void lead() {
        long target = 0;
        Throwable error = null;
        writeLock.lock();
        try {
            target = applied;
            committer.commit();
            commits.increment();
        } catch (RuntimeException | Error e) {
            error = e;
        } finally {
            writeLock.unlock();
            synchronized (monitor) {
                committing = false;
                if (error == null) {
                    durable = Math.max(durable, target);
                } else {
                    fail(error);
                }
                monitor.notifyAll();
            }
        }
    }

    /** Marks the store failed: nothing more is committed, every waiter fails. */
    void fail(Throwable cause) {
        synchronized (monitor) {
            if (failure == null) {
                failure =
                        new KvUnavailableException(
                                "the KV store could not write to disk: " + cause, cause);
            }
            monitor.notifyAll();
        }
    }

    boolean failed() {
        return failure != null;
    }

    /** Throws the failure if a commit failed. */
    void checkNotFailed() {
        checkFailure();
    }

    private void checkFailure() {
        if (failure != null) {
            throw unavailable();
        }
    }

    /** Thrown only for operations no successful commit covered: they had no effect on disk. */
    private KvUnavailableException unavailable() {
        return KvUnavailableException.notApplied(failure.getMessage(), failure.getCause());
    }

    /** Commits done so far (fewer than writes when writers shared commits). */
    long commits() {
        return commits.sum();
    }
}
