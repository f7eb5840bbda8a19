package dev.vivarium.core.engine;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests of one deployment running now, so that removing or replacing the deployment can stop
 * them instead of leaving them to run until their deadline. Once the deployment is {@link #closeTo
 * closed to new requests} (replaced: at once; removed: with {@link #interruptAll}), a request that
 * was routed to it but had not started (it waited for its admission) is not started: the {@link
 * Dispatcher} runs it on the version that replaced it, or answers 503.
 */
public final class RunningRequests {
    private final Set<Watchdog.Armed> running = ConcurrentHashMap.newKeySet();
    private volatile String stoppedBecause;
    private volatile String closedBecause;

    /**
     * Watches a starting request, unless the deployment takes no new requests.
     *
     * @return null when it is watched and may run; else why the deployment takes no new requests
     *     (e.g. {@code replaced}), and the request is not watched
     */
    String add(Watchdog.Armed request) {
        running.add(request);
        // after the add: a concurrent interruptAll either sees this request or is seen here
        String closed = closedBecause;
        if (closed != null) {
            running.remove(request);
        }
        return closed;
    }

    void remove(Watchdog.Armed request) {
        running.remove(request);
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
        return running.size();
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
        for (Watchdog.Armed request : running) {
            request.interruptNow();
        }
    }
}
