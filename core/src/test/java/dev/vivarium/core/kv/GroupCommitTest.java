package dev.vivarium.core.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertTrue(e.isNotApplied(), "no commit covered the second write: it may be retried");
        // the first write's writer, woken late: on disk, so it must not be told to retry
        group.awaitDurable(first);
        group.commitHeld(first);
        assertEquals(2, commits.get());
    }

    @Test
    void afterAFailedCommitNoLaterWriteIsReportedDurable() {
        group.awaitDurable(apply());
        assertThrows(KvUnavailableException.class, () -> group.awaitDurable(apply()));
        long third = apply();
        KvUnavailableException e =
                assertThrows(KvUnavailableException.class, () -> group.commitHeld(third));
        assertTrue(e.isNotApplied());
        assertEquals(2, commits.get(), "nothing is committed after a failure");
    }
}
