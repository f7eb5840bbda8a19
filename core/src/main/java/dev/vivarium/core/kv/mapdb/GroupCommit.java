package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvUnavailableException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Makes a store's applied writes durable, letting concurrent writers share one commit (group
 * commit).
 *
 * <p>Every complete write gets a sequence number under the store's write lock. A writer then waits
 * until a commit covers its number. The first waiter to find no commit running becomes the leader:
 * it takes the write lock (so the commit captures whole operations only, never half of one), notes
 * the last applied number and takes what was applied ({@link Preparer}), lets the lock go so that
 * writers go on applying, writes and syncs what it took, and wakes everybody that commit covered.
 * Writers that arrive while a commit runs are applied as soon as it ends and are all covered by the
 * next one, so under load one fsync serves many writes.
 *
 * <p>A failure is sticky: every write no successful commit covered, and every later operation on
 * this store object, fails rather than report a write that may be lost or show one that was, and
 * nothing is committed after it; {@code KvStores} then opens the store again from disk. The
 * exception says whether the operation may be tried again there ({@link
 * KvUnavailableException#isNotApplied()}): yes for writes no commit attempt covered and for
 * operations that changed nothing; no for writes the failed commit covered, which may be on disk
 * after all (MapDB syncs its log before it writes the store file). A write an earlier commit
 * covered is reported durable even if its writer only learns so after a later failure.
 */
final class GroupCommit {
    /** A commit of everything applied so far; runs under the write lock. */
    @FunctionalInterface
    interface Committer {
        void commit();
    }

    /**
     * A commit in two steps: {@link #prepare()} runs under the write lock and takes what was
     * applied so far (whole operations only); the work it returns writes that to disk without the
     * lock, so writers go on applying meanwhile (their writes are for the next commit).
     */
    @FunctionalInterface
    interface Preparer {
        Runnable prepare();
    }

    private static final Runnable DONE = () -> {};

    /**
     * Thrown by a {@link Preparer}'s work that failed before it began to commit: nothing of its
     * batch can be on disk, so its writes may be tried again on the store opened again.
     */
    static final class NotWritten extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotWritten(RuntimeException cause) {
            super(cause.toString(), cause);
        }
    }

    private final ReentrantLock writeLock;
    private final Preparer committer;
    private final LongAdder commits = new LongAdder();
    private final Object monitor = new Object();

    /** Last applied write; guarded by {@link #writeLock}. */
    private long applied;

    /** Last write the running or last commit covers; guarded by {@link #writeLock}. */
    private long captured;

    /**
     * When the oldest write no commit has taken yet was applied ({@link System#nanoTime()}), and
     * when the oldest write of the commit now running was; {@link #NONE} when there is none.
     * Written under {@link #writeLock} (and {@link #committingSince} cleared once its commit is
     * over), read by writers under it.
     */
    private volatile long uncapturedSince = NONE;

    private volatile long committingSince = NONE;

    private static final long NONE = Long.MIN_VALUE;

    /** Longest a leader waits for more writes before it commits ({@link #gather()}). */
    private static final long MAX_GATHER_NANOS = 2_000_000;

    /** Mirrors of {@link #applied} and {@link #captured} a leader reads without the lock. */
    private volatile long appliedNow;

    private volatile long capturedNow;

    /** Writes and duration of the last commit. */
    private volatile long lastBatch;

    private volatile long lastCommitNanos;

    /** Last write known durable; guarded by {@link #monitor}. */
    private long durable;

    private boolean committing;
    private volatile RuntimeException failure;

    /** Writes up to this number were in a commit that failed; set once, with {@link #failure}. */
    private volatile long uncertainUpTo;

    /** Commits under the write lock: writers wait while a commit runs. */
    GroupCommit(ReentrantLock writeLock, Committer committer) {
        this(
                writeLock,
                () -> {
                    committer.commit();
                    return DONE;
                });
    }

    /** Commits in two steps, the disk writes without the write lock. */
    GroupCommit(ReentrantLock writeLock, Preparer committer) {
        this.writeLock = writeLock;
        this.committer = committer;
    }

    /** Numbers a complete write; call under the write lock. */
    long applied() {
        if (applied == captured) {
            uncapturedSince = System.nanoTime();
        }
        appliedNow = applied + 1;
        return ++applied;
    }

    /**
     * Nanoseconds since the oldest write not yet known durable was applied, 0 if there is none;
     * call under the write lock.
     */
    long oldestPendingAge(long nowNanos) {
        long since = committingSince;
        if (since == NONE) {
            since = uncapturedSince;
        }
        return since == NONE ? 0 : nowNanos - since;
    }

    /** Whether write {@code seq} is known durable. */
    boolean isDurable(long seq) {
        synchronized (monitor) {
            return durable >= seq;
        }
    }

    /** Commits everything applied so far, if any of it is not durable yet (or waits for it). */
    void flush() {
        long seq;
        writeLock.lock();
        try {
            seq = applied;
        } finally {
            writeLock.unlock();
        }
        awaitDurable(seq);
    }

    /** Notes that a commit now takes everything applied so far; call under the write lock. */
    private long capture() {
        lastBatch = applied - captured;
        captured = applied;
        capturedNow = captured;
        committingSince = uncapturedSince;
        uncapturedSince = NONE;
        return captured;
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
        checkFailure(seq);
        long target = capture();
        try {
            committer.prepare().run();
            commits.increment();
        } catch (NotWritten e) {
            fail(e.getCause(), 0);
            throw failure(seq);
        } catch (RuntimeException | Error e) {
            fail(e, target);
            throw failure(seq);
        }
        synchronized (monitor) {
            durable = Math.max(durable, target);
            committingSince = NONE;
        }
    }

    /**
     * Returns once write {@code seq} is durable; may run the commit itself.
     *
     * @throws KvUnavailableException if no commit covered the write and one failed, or the thread
     *     was interrupted (the deadline passed) before the write was known durable
     */
    void awaitDurable(long seq) {
        synchronized (monitor) {
            while (true) {
                // a write an earlier commit covered is durable, whatever failed after it
                if (durable >= seq) {
                    return;
                }
                checkFailure(seq);
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
        gather();
        lead();
        synchronized (monitor) {
            if (durable >= seq) {
                return;
            }
        }
        checkFailure(seq);
    }

    /**
     * Before a commit: when the last one took several writes, waits a little (at most half its
     * duration, and {@value #MAX_GATHER_NANOS} ns) until as many are applied again. The writers the
     * last commit woke are then coming back with their next write (their next request); without the
     * wait, the first of them to come back would commit alone and the rest would wait for the
     * commit after, so the writers would split into two groups that take turns. A lone writer never
     * waits.
     */
    private void gather() {
        long want = lastBatch;
        if (want <= 1) {
            return;
        }
        long until = System.nanoTime() + Math.min(lastCommitNanos / 2, MAX_GATHER_NANOS);
        while (appliedNow - capturedNow < want && System.nanoTime() - until < 0) {
            LockSupport.parkNanos(20_000);
        }
    }

    private void lead() {
        long target = 0;
        Throwable error = null;
        Runnable work = null;
        try {
            writeLock.lock();
            try {
                if (failure == null) {
                    target = capture();
                    work = committer.prepare();
                }
                // else: a change failed under the lock while this leader waited for it;
                // committing now would make its half-done state durable
            } finally {
                writeLock.unlock();
            }
            if (work != null) {
                long start = System.nanoTime();
                work.run();
                lastCommitNanos = System.nanoTime() - start;
                commits.increment();
            }
        } catch (NotWritten e) {
            error = e.getCause();
            target = 0; // no write of the batch is on disk
        } catch (RuntimeException | Error e) {
            error = e;
        } finally {
            synchronized (monitor) {
                committing = false;
                if (error != null) {
                    fail(error, target);
                } else if (failure == null && work != null) {
                    durable = Math.max(durable, target);
                    committingSince = NONE;
                }
                monitor.notifyAll();
            }
        }
    }

    /**
     * Marks the store failed because a change failed before any commit covered it: nothing more is
     * committed, and every write not yet durable had no effect on disk.
     */
    void fail(Throwable cause) {
        fail(cause, 0);
    }

    /**
     * Marks the store failed; a commit covering writes up to {@code uncertain} failed, and those
     * may or may not be on disk (MapDB syncs its log before it writes the store file).
     */
    private void fail(Throwable cause, long uncertain) {
        synchronized (monitor) {
            if (failure == null) {
                // before failure: whoever sees the failure sees this too
                uncertainUpTo = uncertain;
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

    /** Throws the failure if a commit failed, for an operation that has not changed anything. */
    void checkNotFailed() {
        checkFailure(Long.MAX_VALUE);
    }

    private void checkFailure(long seq) {
        if (failure != null) {
            throw failure(seq);
        }
    }

    /**
     * The exception for write {@code seq} (or an operation that changed nothing, {@code
     * Long.MAX_VALUE}) on a failed store: "not applied", so it may be tried again on the store
     * opened again, unless a failed commit covered it and it may be on disk after all.
     */
    private KvUnavailableException failure(long seq) {
        return seq <= uncertainUpTo
                ? new KvUnavailableException(failure.getMessage(), failure.getCause())
                : KvUnavailableException.notApplied(failure.getMessage(), failure.getCause());
    }

    /** Commits done so far (fewer than writes when writers shared commits). */
    long commits() {
        return commits.sum();
    }
}
