package dev.vivarium.core.engine;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests of one deployment running now, so that removing or replacing the deployment can stop
 * them instead of leaving them to run until their deadline. Once {@link #interruptAll} has been
 * called, a request that starts afterwards (it was routed just before) is interrupted at once.
 */
public final class RunningRequests {
    private final Set<Watchdog.Armed> running = ConcurrentHashMap.newKeySet();
    private volatile String stoppedBecause;

    /** Watches a starting request; interrupts it at once if the deployment is already stopped. */
    void add(Watchdog.Armed request) {
        running.add(request);
        if (stoppedBecause != null) {
            request.interruptNow();
        }
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

    /** How many requests are running now. */
    public int count() {
        return running.size();
    }

    /**
     * Interrupts every running request (each answers 503 saying why) and every one that starts
     * later.
     *
     * @param why what happened to the deployment, e.g. {@code removed} or {@code replaced}
     */
    public void interruptAll(String why) {
        stoppedBecause = why;
        for (Watchdog.Armed request : running) {
            request.interruptNow();
        }
    }
}
