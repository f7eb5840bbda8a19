package dev.vivarium.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Issue 18, item 1: a scheduled task that throws once is cancelled for good by its executor; the
 * expiry tasks caught only {@code RuntimeException}, so an {@code OutOfMemoryError} stopped expiry.
 */
@Timeout(30)
class BackgroundTasksTest {
    @Test
    void aPeriodicTaskKeepsRunningAfterItThrowsAnError() throws Exception {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch again = new CountDownLatch(3);
            Runnable task =
                    () -> {
                        int n = runs.incrementAndGet();
                        again.countDown();
                        if (n == 1) {
                            throw new OutOfMemoryError("test: no heap for this run");
                        }
                        if (n == 2) {
                            throw new IllegalStateException("test: a store failed");
                        }
                    };
            ScheduledFuture<?> f =
                    s.scheduleWithFixedDelay(
                            BackgroundTasks.surviving(
                                    LoggerFactory.getLogger(BackgroundTasksTest.class),
                                    "test task",
                                    task),
                            1,
                            1,
                            TimeUnit.MILLISECONDS);
            // before: cancelled at the first throw, and this waits until the class Timeout
            again.await();
            assertFalse(f.isDone(), "still scheduled");
            f.cancel(false);
        } finally {
            s.shutdownNow();
        }
    }

    @Test
    void loggingAFailureNeverThrows() {
        org.slf4j.Logger failing =
                (org.slf4j.Logger)
                        java.lang.reflect.Proxy.newProxyInstance(
                                getClass().getClassLoader(),
                                new Class<?>[] {org.slf4j.Logger.class},
                                (proxy, method, args) -> {
                                    throw new OutOfMemoryError("test: none left to log");
                                });
        assertDoesNotThrow(
                () -> BackgroundTasks.logFailure(failing, "test task", new OutOfMemoryError("t")));
    }
}
