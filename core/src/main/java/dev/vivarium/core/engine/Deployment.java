package dev.vivarium.core.engine;

import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.log.LogBudget;
import dev.vivarium.core.outbound.OutboundQuota;
import java.util.Objects;

/**
 * What a deployment owns beyond its guest: its id, its key-value store, its shares of what all
 * deployments compete for (running instances, outbound requests, the server log) and its running
 * requests. Routes with the same id share one deployment; a statically configured route is a
 * deployment too.
 *
 * @param id the deployment id
 * @param kv its store, or null when the engine has no KV service
 * @param admission how many of its requests may run and wait at once
 * @param outbound its share of outbound HTTP; null: no limit of its own
 * @param log what its guests may write to the server log
 * @param running its requests running now, which removing the deployment interrupts
 */
public record Deployment(
        String id,
        KvStore kv,
        Admission admission,
        OutboundQuota outbound,
        LogBudget log,
        RunningRequests running) {
    public Deployment {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(admission, "admission");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(running, "running");
    }

    /** A deployment with its shares and no request running yet. */
    public Deployment(
            String id, KvStore kv, Admission admission, OutboundQuota outbound, LogBudget log) {
        this(id, kv, admission, outbound, log, new RunningRequests());
    }

    /** A deployment without limits of its own (the admin API's, and tests'). */
    public Deployment(String id, KvStore kv) {
        this(id, kv, Admission.UNLIMITED, null, LogBudget.UNLIMITED);
    }
}
