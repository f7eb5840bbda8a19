package dev.vivarium.core.engine;

import dev.vivarium.core.Outcome;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control of one deployment: at most {@code maxConcurrent} of its requests run at once,
 * at most {@code maxQueued} more wait (each at most {@code queueTimeout}) for one of them to end,
 * and any further one is refused at once. A refusal is a 503 with {@code Retry-After}, answered
 * without touching a guest, so a deployment whose guests spin until their deadline holds a bounded
 * number of the server's threads and cores, whatever its clients send.
 *
 * <p>Waiters are served in arrival order (a fair semaphore), so a burst cannot starve an old
 * request.
 */
public final class Admission {
    /** No limit: for the admin API's route and for tests that build routes by hand. */
    public static final Admission UNLIMITED =
            new Admission("(unlimited)", Integer.MAX_VALUE, 0, Duration.ofSeconds(1));

    private final String deployment;
    private final int maxConcurrent;
    private final int maxQueued;
    private final Duration queueTimeout;
    private final Semaphore running;
    private final AtomicInteger waiting = new AtomicInteger();

    public Admission(String deployment, int maxConcurrent, int maxQueued, Duration queueTimeout) {
        if (maxConcurrent < 1 || maxQueued < 0) {
            throw new IllegalArgumentException(
                    "maxConcurrent must be at least 1 and maxQueued at least 0, got "
                            + maxConcurrent
                            + " and "
                            + maxQueued);
        }
        this.deployment = deployment;
        this.maxConcurrent = maxConcurrent;
        this.maxQueued = maxQueued;
        this.queueTimeout = queueTimeout;
        this.running = new Semaphore(maxConcurrent, true);
    }

    /**
     * Takes a place to run, waiting in the queue if need be.
     *
     * @return null when admitted (call {@link #leave()} once done), else the 503 to answer
     */
    public Outcome enter() {
        if (running.tryAcquire()) {
            return null;
        }
        if (waiting.incrementAndGet() > maxQueued) {
            waiting.decrementAndGet();
            return refusal(
                    maxConcurrent
                            + " requests of deployment "
                            + deployment
                            + " are running and "
                            + maxQueued
                            + " waiting (maxConcurrent, maxQueued)");
        }
        try {
            if (running.tryAcquire(queueTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return null;
            }
            return refusal(
                    "no instance of deployment "
                            + deployment
                            + " became free within "
                            + queueTimeout.toMillis()
                            + " ms (queueTimeout; maxConcurrent "
                            + maxConcurrent
                            + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return refusal("interrupted while waiting for an instance of " + deployment);
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Gives back the place {@link #enter()} gave. */
    public void leave() {
        running.release();
    }

    /** Requests running now. */
    public int running() {
        return maxConcurrent - running.availablePermits();
    }

    /** Requests waiting now. */
    public int waiting() {
        return waiting.get();
    }

    public int maxConcurrent() {
        return maxConcurrent;
    }

    public int maxQueued() {
        return maxQueued;
    }

    private Outcome refusal(String why) {
        Outcome o = Outcome.failure(Outcome.Kind.OVERLOADED, 503, "server busy: " + why);
        long seconds = Math.max(1, (queueTimeout.toMillis() + 999) / 1000);
        o.headers().set("retry-after", java.util.List.of(Long.toString(seconds)));
        return o;
    }

    @Override
    public String toString() {
        return "admission("
                + running()
                + "/"
                + maxConcurrent
                + " running, "
                + waiting()
                + "/"
                + maxQueued
                + " waiting)";
    }
}
