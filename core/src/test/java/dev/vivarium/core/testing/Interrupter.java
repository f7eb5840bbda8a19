package dev.vivarium.core.testing;

/**
 * Interrupts the thread that made it after a delay, from a thread of its own: for tests that a
 * blocking call ends when its thread is interrupted (as the watchdog does at a deadline). Use it in
 * try-with-resources around the blocking call; closing it leaves the caller's interrupt flag clear.
 */
public final class Interrupter implements AutoCloseable {
    private final Thread thread;

    private Interrupter(Thread target, long delayMillis) {
        thread =
                new Thread(
                        () -> {
                            try {
                                Thread.sleep(delayMillis);
                            } catch (InterruptedException e) {
                                return; // closed before the delay: the test has ended
                            }
                            target.interrupt();
                        },
                        "test-interrupter");
        thread.setDaemon(true);
        thread.start();
    }

    /** Interrupts the calling thread in {@code delayMillis} ms. */
    public static Interrupter interruptMeIn(long delayMillis) {
        return new Interrupter(Thread.currentThread(), delayMillis);
    }

    /** Cancels the interrupt if it has not happened, waits for the thread, clears the flag. */
    @Override
    public void close() {
        thread.interrupt();
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                // the interrupt this scheduled, arriving while we wait: cleared below
            }
        }
        Thread.interrupted();
    }
}
