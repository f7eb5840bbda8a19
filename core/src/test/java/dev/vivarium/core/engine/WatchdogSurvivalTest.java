package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 18, item 1: an {@code OutOfMemoryError} in the watchdog's sweep once ended its thread, and
 * from then on no guest was stopped at its deadline. A thread whose {@code interrupt()} throws one
 * stands in for a sweep that runs out of memory.
 */
@Timeout(30)
class WatchdogSurvivalTest {
    /** A thread whose interruption fails the way a sweep short of heap does. */
    private static final class FailingInterrupt extends Thread {
        private final CountDownLatch armed = new CountDownLatch(1);
        private final AtomicBoolean thrown = new AtomicBoolean();
        private final Watchdog watchdog;

        FailingInterrupt(Watchdog watchdog) {
            super("failing-interrupt");
            this.watchdog = watchdog;
        }

        @Override
        public void run() {
            watchdog.arm(System.nanoTime());
            armed.countDown();
        }

        @Override
        public void interrupt() {
            if (thrown.compareAndSet(false, true)) {
                throw new OutOfMemoryError("test: Java heap space, in the watchdog's sweep");
            }
            super.interrupt();
        }
    }

    @Test
    void deadlinesAreStillEnforcedAfterTheSweepThrewAnError() throws Exception {
        try (Watchdog w = new Watchdog()) {
            FailingInterrupt t = new FailingInterrupt(w);
            t.start();
            t.armed.await();
            t.join();
            // the sweep that hit the error is over once it was thrown
            while (!t.thrown.get()) {
                Thread.sleep(1);
            }
            // a later guest is still stopped at its deadline (before: never; the class Timeout)
            Watchdog.Armed a = w.arm(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20));
            boolean interrupted;
            try {
                Thread.sleep(20_000);
                interrupted = false;
            } catch (InterruptedException e) {
                interrupted = true;
            }
            assertTrue(interrupted, "the watchdog still interrupts");
            assertTrue(a.disarm());
        }
    }
}
