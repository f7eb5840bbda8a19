package dev.vivarium.core.deploy;

import dev.vivarium.core.engine.Route;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Retires a deployment that no longer takes requests, for the {@link DeploymentRegistry}: its
 * running requests are interrupted, after a short grace when a new version replaced it (requests
 * the old version is answering may finish), then its pools are given back.
 */
final class Retirement {
    /** How long the old version's running requests may go on after a replacement. */
    static final Duration REPLACE_GRACE = Duration.ofSeconds(1);

    private final ScheduledExecutorService jobs;
    private final DeploymentBinder binder;

    Retirement(ScheduledExecutorService jobs, DeploymentBinder binder) {
        this.jobs = jobs;
        this.binder = binder;
    }

    /** Retires {@code l}: {@code why} is "replaced", "reloaded", "removed", "expired", ... */
    void retire(LiveDeployment l, String why) {
        retire(l, why, REPLACE_GRACE);
    }

    /**
     * The grace a reloaded configured deployment's running requests get: as long as the longest
     * deadline of its routes (they end then anyway), at least {@link #REPLACE_GRACE}. An operator
     * editing a file has not asked to cut anything short.
     */
    static Duration reloadGrace(LiveDeployment l) {
        Duration grace = REPLACE_GRACE;
        for (Route r : l.routes()) {
            if (r.deadline().compareTo(grace) > 0) {
                grace = r.deadline();
            }
        }
        return grace;
    }

    void retire(LiveDeployment l, String why, Duration grace) {
        var running = l.routes().get(0).deployment().running();
        if (why.equals("replaced") || why.equals("reloaded")) {
            // requests routed to the old version that have not started (waiting for its
            // admission) start on the new one; those it is answering may finish, briefly
            running.closeTo(why);
            jobs.schedule(() -> running.interruptAll(why), grace.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            running.interruptAll(why);
        }
        l.pools().forEach(binder::release);
    }
}
