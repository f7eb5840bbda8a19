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
}
