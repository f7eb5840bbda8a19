package dev.vivarium.core.outbound;

import java.util.concurrent.Semaphore;

/**
 * One deployment's share of outbound HTTP: at most {@code outbound.maxConcurrent} of its requests
 * in flight at once, over its own connections (the client keeps a separate pool per deployment and
 * destination, at most {@code outbound.maxConnections} each), so one tenant fanning out cannot take
 * the connections or the upstream capacity every other tenant's requests need. Shared by the
 * deployment's guest requests; thread-safe.
 */
public final class OutboundQuota {
    private final String deployment;
    private final int max;
    private final Semaphore inFlight;

    public OutboundQuota(String deployment, int maxConcurrent) {
        this.deployment = deployment;
        this.max = maxConcurrent;
        this.inFlight = new Semaphore(maxConcurrent);
    }

    /** The deployment's id: also the tag that gives it its own connection pools. */
    public String deployment() {
        return deployment;
    }

    public int max() {
        return max;
    }

    /** Requests in flight now. */
    public int inFlight() {
        return max - inFlight.availablePermits();
    }

    boolean tryAcquire() {
        return inFlight.tryAcquire();
    }

    void release() {
        inFlight.release();
    }

    @Override
    public String toString() {
        return deployment + " (" + inFlight() + "/" + max + " outbound requests in flight)";
    }
}
