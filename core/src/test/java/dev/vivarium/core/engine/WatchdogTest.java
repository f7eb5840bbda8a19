package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The deadline watchdog on its own: interrupts when due, never after disarm, also after idling. */
@Timeout(30)
class WatchdogTest {
    private static long in(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Sleeps until interrupted (true) or {@code millis} pass (false); clears nothing. */
    private static boolean interruptedWithin(long millis) {
        try {
            Thread.sleep(millis);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    @Test
    void interruptsTheThreadAtItsDeadlineAndDisarmClearsTheInterrupt() {
        try (Watchdog w = new Watchdog()) {
            long start = System.nanoTime();
            Watchdog.Armed a = w.arm(in(50));
            assertTrue(interruptedWithin(5_000), "interrupted");
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(took >= 45, "not before the deadline: " + took + " ms");
            assertTrue(a.disarm(), "it fired");
            assertFalse(Thread.currentThread().isInterrupted(), "cleared for the container");
            assertEquals(0, w.armedCount());
        }
    }

    @Test
    void aDisarmedWatchNeverInterrupts() {
        try (Watchdog w = new Watchdog()) {
            Watchdog.Armed a = w.arm(in(30));
            assertFalse(a.disarm(), "did not fire");
            assertEquals(0, w.armedCount());
            assertFalse(interruptedWithin(200), "no interrupt after disarm");
        }
    }

    @Test
    void firesAfterTheSweeperHasParkedForIdleness() {
        try (Watchdog w = new Watchdog()) {
            assertFalse(interruptedWithin(Watchdog.IDLE_MILLIS + 300), "idle, parked");
            Watchdog.Armed a = w.arm(in(20));
            assertTrue(interruptedWithin(5_000), "the arm woke it");
            assertTrue(a.disarm());
        }
    }

    @Test
    void manyThreadsEachGetOnlyTheirOwnInterrupt() throws Exception {
        try (Watchdog w = new Watchdog()) {
            Thread[] threads = new Thread[8];
            boolean[] ok = new boolean[threads.length];
            for (int i = 0; i < threads.length; i++) {
                int n = i;
                threads[i] =
                        new Thread(
                                () -> {
                                    boolean due = n % 2 == 0;
                                    Watchdog.Armed a = w.arm(in(due ? 40 : 60_000));
                                    boolean got = interruptedWithin(due ? 5_000 : 300);
                                    ok[n] = got == due && a.disarm() == due;
                                });
                threads[i].start();
            }
            for (Thread t : threads) {
                t.join(10_000);
            }
            for (int i = 0; i < ok.length; i++) {
                assertTrue(ok[i], "thread " + i);
            }
            assertEquals(0, w.armedCount());
        }
    }
}
