package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvUnavailableException;
import java.util.concurrent.Executor;
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
 * next one, so under load one fsync serves many writes. A request's thread does not lead: it parks
 * ({@link #awaitDurable(long, long, Executor)}) and a writer thread leads the commits for as long
 * as requests wait, waking only those each commit covers.
 *
 * <p>A failure is sticky: every write no successful commit covered, and every later operation on
 * this store object, fails rather than report a write that may be lost or show one that was, and
 * nothing is committed after it; {@code KvStores} then opens the store again from disk. The
 * exception says whether the operation may be tried again there ({@link
 * KvUnavailableException#isNotApplied()}): yes for writes no commit attempt covered and for
 * operations that changed nothing; no for writes the failed commit covered, which may be on disk
 * after all (a journal record whose sync failed may still have been written). A write an earlier
 * commit covered is reported durable even if its writer only learns so after a later failure.
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

    /** Writers in {@link #awaitDurable(long, long, Executor)}, and whether a leader was asked. */
    private int waiting;

    private final java.util.ArrayList<Parked> parked = new java.util.ArrayList<>();

    private boolean leaderAsked;
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

    /** Waits on the monitor (held) for the running commit to end. */
    private void waitForCommit() {
        try {
            monitor.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvUnavailableException(
                    "interrupted before the KV write was known to be committed");
        }
    }

    /** Commits now, under the write lock the caller holds: one commit per write, no grouping. */
    void commitHeld(long seq) {
        synchronized (monitor) {
            if (durable >= seq) {
                return;
            }
            // a checkpoint may run (it does not take the write lock): wait for it
            while (committing && failure == null) {
                waitForCommit();
            }
            checkFailure(seq);
            committing = true;
        }
        long target = capture();
        Throwable error = null;
        long uncertain = 0;
        try {
            committer.prepare().run();
            commits.increment();
        } catch (NotWritten e) {
            error = e.getCause();
        } catch (WriteBuffer.AfterCommit e) {
            synchronized (monitor) {
                durable = Math.max(durable, target); // the write is on disk
            }
            error = e.getCause();
        } catch (RuntimeException | Error e) {
            error = e;
            uncertain = target;
        } finally {
            ended(error, uncertain, target, false);
        }
        synchronized (monitor) {
            if (durable >= seq) {
                return;
            }
        }
        throw failure(seq);
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
                waitForCommit();
            }
        }
        gather();
        lead(false);
        synchronized (monitor) {
            if (durable >= seq) {
                return;
            }
        }
        checkFailure(seq);
    }

    /**
     * Returns once write {@code seq} is durable, without leading a commit on this thread: if no
     * commit runs, {@code leaders} (threads that are never interrupted) is asked for one, which
     * goes on committing while writers wait. So a request's thread, which a deadline may interrupt,
     * waits without touching a file, and under load one hand-off serves a whole commit rather than
     * one per write.
     *
     * @throws KvUnavailableException if no commit covered the write and one failed, the thread was
     *     interrupted, or {@code deadlineNanos} ({@link System#nanoTime()}) passed first
     */
    void awaitDurable(long seq, long deadlineNanos, Executor leaders) {
        Parked me = new Parked(seq, Thread.currentThread());
        synchronized (monitor) {
            waiting++;
            parked.add(me);
        }
        try {
            while (true) {
                synchronized (monitor) {
                    if (durable >= seq) {
                        return;
                    }
                    checkFailure(seq);
                    if (!committing && !leaderAsked) {
                        leaderAsked = true;
                        try {
                            leaders.execute(this::leadWhileAwaited);
                        } catch (RuntimeException e) {
                            leaderAsked = false;
                            throw new KvUnavailableException(
                                    "the KV stores are closed (the engine is stopping)");
                        }
                    }
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new KvUnavailableException(
                            "the KV operation was not done by the request's deadline");
                }
                LockSupport.parkNanos(this, left);
                if (Thread.currentThread().isInterrupted()) {
                    throw new KvUnavailableException(
                            "interrupted before the KV write was known to be committed");
                }
            }
        } finally {
            synchronized (monitor) {
                waiting--;
                parked.remove(me);
            }
        }
    }

    /** A writer parked in {@link #awaitDurable(long, long, Executor)}. */
    private static final class Parked {
        final long seq;
        final Thread thread;

        Parked(long seq, Thread thread) {
            this.seq = seq;
            this.thread = thread;
        }
    }

    /**
     * Wakes the writers a commit's end concerns; call holding the monitor. Those in {@link
     * #awaitDurable(long)} wait on the monitor; of those parked in {@link #awaitDurable(long, long,
     * Executor)} only the ones whose write is now durable (all, on a failure), so a commit does not
     * wake every writer that waits for the next one; plus one of those when no leader goes on, to
     * ask for one.
     */
    private void signal(boolean leaderContinues) {
        monitor.notifyAll();
        boolean asked = leaderContinues || committing || leaderAsked;
        for (int i = 0; i < parked.size(); i++) {
            Parked p = parked.get(i);
            if (failure != null || durable >= p.seq) {
                LockSupport.unpark(p.thread);
            } else if (!asked) {
                asked = true;
                LockSupport.unpark(p.thread);
            }
        }
    }

    /** A leader for {@link #awaitDurable(long, long, Executor)}: commits while writers wait. */
    private void leadWhileAwaited() {
        while (true) {
            synchronized (monitor) {
                leaderAsked = false;
                if (committing || failure != null || waiting == 0 || durable >= appliedNow) {
                    return; // a running commit's leader wakes the waiters, who ask again
                }
                committing = true;
            }
            gather();
            lead(true);
        }
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

    /**
     * Commits what was applied; the monitor's {@link #committing} is this thread's.
     *
     * @param continuing whether this leader leads the next commit too if writers still wait
     */
    private void lead(boolean continuing) {
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
        } catch (WriteBuffer.AfterCommit e) {
            error = e.getCause();
            synchronized (monitor) {
                durable = Math.max(durable, target); // the batch is on disk
            }
            target = 0;
        } catch (RuntimeException | Error e) {
            error = e;
        } finally {
            ended(error, target, target, continuing);
        }
    }

    /**
     * Ends the commit this thread ran: its writes up to {@code target} are durable, or, after
     * {@code error}, the store failed with those up to {@code uncertain} in doubt.
     */
    private void ended(Throwable error, long uncertain, long target, boolean leaderContinues) {
        synchronized (monitor) {
            committing = false;
            if (error != null) {
                fail(error, uncertain);
            } else if (failure == null) {
                durable = Math.max(durable, target);
                committingSince = NONE;
            }
            signal(leaderContinues);
        }
    }

    /**
     * Runs {@code work} (a checkpoint) while no commit runs, so that it sees no half-done one; does
     * nothing once the store failed. A failure of the work marks the store failed, with no write in
     * doubt: the work must only touch writes that are durable already.
     *
     * @return whether the work ran and did not fail
     */
    boolean exclusive(Runnable work) {
        synchronized (monitor) {
            while (committing) {
                if (failure != null) {
                    return false;
                }
                try {
                    monitor.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            if (failure != null) {
                return false;
            }
            committing = true;
        }
        Throwable error = null;
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            error = e;
        } finally {
            synchronized (monitor) {
                committing = false;
                if (error != null) {
                    fail(error, 0);
                }
                signal(false);
            }
        }
        return error == null;
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
     * may or may not be on disk (a journal record whose sync failed may still have been written).
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
            signal(false);
        }
    }

    boolean failed() {
        return failure != null;
    }

    /** What failed, or null. */
    String failureMessage() {
        RuntimeException f = failure;
        return f == null ? null : f.getMessage();
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
