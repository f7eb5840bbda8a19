package dev.vivarium.core.engine;

import java.util.function.BooleanSupplier;

/**
 * The requests of one deployment running now, so that removing or replacing the deployment can stop
 * them instead of leaving them to run until their deadline. Once the deployment is {@link #closeTo
 * closed to new requests} (replaced: at once; removed: with {@link #interruptAll}), a request that
 * was routed to it but had not started (it waited for its admission) is not started: the {@link
 * Dispatcher} runs it on the version that replaced it, or answers 503.
 */
public final class RunningRequests {
    /**
     * Where this deployment's requests are watched, from its first request on: they are the ones
     * there that name this as their owner ({@link Watchdog#arm(long, BooleanSupplier,
     * RunningRequests)}), so a request costs no set entry of its own here.
     */
    private volatile Watchdog watchdog;

    private volatile String stoppedBecause;
    private volatile String closedBecause;

    /**
     * Lets a starting request run, unless the deployment takes no new requests.
     *
     * @param request the request, watched with this as its owner until it is disarmed
     * @return null when it may run; else why the deployment takes no new requests (e.g. {@code
     *     replaced}): the caller disarms it without running it
     */
    String add(Watchdog.Armed request) {
        if (watchdog == null) {
            watchdog = request.watchdog();
        }
        // after the request is watched: a concurrent interruptAll either sees it or is seen here
        return closedBecause;
    }

    /**
     * Why the deployment's requests were interrupted (e.g. {@code removed}), or null while it takes
     * requests.
     */
    String stoppedBecause() {
        return stoppedBecause;
    }

    /** Why the deployment takes no new requests (e.g. {@code replaced}), or null while it does. */
    String closedReason() {
        return closedBecause;
    }

    /** How many requests are running now. */
    public int count() {
        Watchdog w = watchdog;
        return w == null ? 0 : w.count(this);
    }

    /**
     * Starts no more requests (they go to the version that replaced this one); the running ones go
     * on until they end or {@link #interruptAll} stops them.
     *
     * @param why what happened to the deployment, e.g. {@code replaced}
     */
    public void closeTo(String why) {
        if (closedBecause == null) {
            closedBecause = why;
        }
    }

    /**
     * Interrupts every running request (each answers 503 saying why) and starts none later.
     *
     * @param why what happened to the deployment, e.g. {@code removed} or {@code replaced}
     */
    public void interruptAll(String why) {
        stoppedBecause = why;
        closeTo(why);
        Watchdog w = watchdog;
        if (w != null) {
            w.interruptAll(this);
        }
    }
}
