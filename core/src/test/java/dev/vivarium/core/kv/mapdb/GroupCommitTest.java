package dev.vivarium.core.kv.mapdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.kv.KvUnavailableException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/** What a writer is told after a commit failed, which decides whether its write may be retried. */
class GroupCommitTest {
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicInteger commits = new AtomicInteger();
    // the second commit fails, as on a full disk
    private final GroupCommit group =
            new GroupCommit(
                    lock,
                    () -> {
                        if (commits.incrementAndGet() == 2) {
                            throw new IllegalStateException("No space left on device");
                        }
                    });

    private long apply() {
        lock.lock();
        try {
            return group.applied();
        } finally {
            lock.unlock();
        }
    }

    @Test
    void aWriteACommitCoveredIsDurableEvenIfItsWriterLearnsItAfterALaterCommitFailed() {
        long first = apply();
        group.awaitDurable(first);
        long second = apply();
        KvUnavailableException e =
                assertThrows(KvUnavailableException.class, () -> group.awaitDurable(second));
        assertFalse(
                e.isNotApplied(),
                "the failed commit covered the second write: it may be on disk, never retry it");
        // the first write's writer, woken late: on disk, so it must not be told to retry
        group.awaitDurable(first);
        group.commitHeld(first);
        assertEquals(2, commits.get());
    }

    @Test
    void aLeaderDoesNotCommitOnceAChangeFailedUnderTheLock() throws Exception {
        GroupCommit counting = new GroupCommit(lock, commits::incrementAndGet);
        lock.lock();
        long b;
        try {
            b = counting.applied();
        } finally {
            lock.unlock();
        }
        // writer A holds the write lock while its change runs; B comes to commit meanwhile
        lock.lock();
        java.util.concurrent.CompletableFuture<KvUnavailableException> told =
                new java.util.concurrent.CompletableFuture<>();
        Thread leader =
                new Thread(
                        () -> {
                            try {
                                counting.awaitDurable(b);
                                told.complete(null);
                            } catch (KvUnavailableException e) {
                                told.complete(e);
                            }
                        });
        leader.start();
        while (!lock.hasQueuedThreads()) {
            Thread.sleep(1);
        }
        // A's change fails half-way (MapDbKvStore.locked) and A is told "not applied"
        counting.fail(new IllegalStateException("change failed half-way"));
        lock.unlock();
        leader.join(10_000);
        assertEquals(0, commits.get(), "a commit now would make A's half-done change durable");
        KvUnavailableException e = told.get();
        assertTrue(e != null && e.isNotApplied(), "B was not committed either: it may be retried");
    }

    @Test
    void afterAFailedCommitNoLaterWriteIsReportedDurable() {
        group.awaitDurable(apply());
        assertThrows(KvUnavailableException.class, () -> group.awaitDurable(apply()));
        long third = apply();
        KvUnavailableException e =
                assertThrows(KvUnavailableException.class, () -> group.commitHeld(third));
        assertTrue(e.isNotApplied(), "applied after the failure: no commit attempt covered it");
        assertEquals(2, commits.get(), "nothing is committed after a failure");
    }

    private final java.util.concurrent.ExecutorService leaders =
            java.util.concurrent.Executors.newCachedThreadPool(
                    r -> {
                        Thread t = new Thread(r, "test-leader");
                        t.setDaemon(true);
                        return t;
                    });

    @org.junit.jupiter.api.AfterEach
    void stopLeaders() {
        leaders.shutdownNow();
    }

    private static long in(long millis) {
        return System.nanoTime() + millis * 1_000_000;
    }

    private static long apply(GroupCommit g, ReentrantLock l) {
        l.lock();
        try {
            return g.applied();
        } finally {
            l.unlock();
        }
    }

    /** A commit that does not end before {@code release} opens. */
    private static GroupCommit.Committer waitingFor(java.util.concurrent.CountDownLatch release) {
        return () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void writersThatOnlyWaitHaveTheirCommitsLedOnALeaderThread() throws Exception {
        java.util.List<String> committedOn =
                java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        GroupCommit g =
                new GroupCommit(lock, () -> committedOn.add(Thread.currentThread().getName()));
        java.util.List<Thread> writers = new java.util.ArrayList<>();
        java.util.Queue<Throwable> errors = new java.util.concurrent.ConcurrentLinkedQueue<>();
        for (int i = 0; i < 8; i++) {
            Thread t =
                    new Thread(
                            () -> {
                                try {
                                    for (int w = 0; w < 50; w++) {
                                        long seq = apply(g, lock);
                                        g.awaitDurable(seq, in(10_000), leaders);
                                        assertTrue(g.isDurable(seq));
                                    }
                                } catch (Throwable e) {
                                    errors.add(e);
                                }
                            },
                            "writer-" + i);
            writers.add(t);
            t.start();
        }
        for (Thread t : writers) {
            t.join(20_000);
        }
        assertEquals(java.util.List.of(), java.util.List.copyOf(errors));
        assertTrue(!committedOn.isEmpty() && committedOn.size() <= 400, committedOn.size() + "");
        assertEquals(
                java.util.Set.of("test-leader"),
                java.util.Set.copyOf(committedOn),
                "no commit ran on a writer's (interruptible) thread");
    }

    @Test
    void aWriterWhoseDeadlinePassesStopsWaitingAndTheCommitGoesOn() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        GroupCommit g = new GroupCommit(lock, waitingFor(release));
        long seq = apply(g, lock);
        KvUnavailableException e =
                assertThrows(
                        KvUnavailableException.class, () -> g.awaitDurable(seq, in(50), leaders));
        assertTrue(e.getMessage().contains("deadline"), e.getMessage());
        release.countDown();
        g.awaitDurable(seq, in(10_000), leaders);
        assertTrue(g.isDurable(seq));
    }

    @Test
    void anInterruptedWriterStopsWaiting() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        GroupCommit g = new GroupCommit(lock, waitingFor(release));
        long seq = apply(g, lock);
        java.util.concurrent.CompletableFuture<Throwable> told =
                new java.util.concurrent.CompletableFuture<>();
        Thread writer =
                new Thread(
                        () -> {
                            try {
                                g.awaitDurable(seq, in(60_000), leaders);
                                told.complete(null);
                            } catch (Throwable t) {
                                told.complete(t);
                            }
                        });
        writer.start();
        while (writer.getState() != Thread.State.TIMED_WAITING) {
            Thread.sleep(1);
        }
        writer.interrupt();
        Throwable t = told.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(
                t instanceof KvUnavailableException && t.getMessage().contains("interrupted"),
                String.valueOf(t));
        release.countDown();
    }

    @Test
    void aFailedCommitWakesTheWritersWaitingForIt() {
        long first = apply();
        group.awaitDurable(first, in(10_000), leaders);
        long second = apply();
        KvUnavailableException e =
                assertThrows(
                        KvUnavailableException.class,
                        () -> group.awaitDurable(second, in(10_000), leaders));
        assertFalse(e.isNotApplied(), "the failed commit covered it");
        group.awaitDurable(first, in(10_000), leaders);
    }

    @Test
    void aCheckpointWaitsForTheRunningCommit() throws Exception {
        java.util.List<String> events =
                java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.concurrent.CountDownLatch inCommit = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        GroupCommit g =
                new GroupCommit(
                        lock,
                        () -> {
                            events.add("commit");
                            inCommit.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                            events.add("committed");
                        });
        long seq = apply(g, lock);
        Thread committer = new Thread(() -> g.awaitDurable(seq));
        committer.start();
        inCommit.await();
        Thread checkpoint = new Thread(() -> g.exclusive(() -> events.add("checkpoint")));
        checkpoint.start();
        while (checkpoint.getState() != Thread.State.WAITING) {
            Thread.sleep(1);
        }
        release.countDown();
        committer.join(10_000);
        checkpoint.join(10_000);
        assertEquals(java.util.List.of("commit", "committed", "checkpoint"), events);
    }

    @Test
    void aCommitWhoseCheckpointFailedIsDurableButTheStoreFails() {
        GroupCommit g =
                new GroupCommit(
                        lock,
                        (GroupCommit.Preparer)
                                () ->
                                        () -> {
                                            throw new WriteBuffer.AfterCommit(
                                                    new IllegalStateException("disk full"));
                                        });
        long seq = apply(g, lock);
        g.awaitDurable(seq); // in the journal: durable
        assertTrue(g.isDurable(seq));
        assertTrue(g.failed(), "MapDB may hold half the checkpoint: the store is opened again");
        long next = apply(g, lock);
        KvUnavailableException e =
                assertThrows(KvUnavailableException.class, () -> g.awaitDurable(next));
        assertTrue(e.isNotApplied());
    }
}
