package dev.vivarium.core.engine;

import dev.vivarium.core.kv.KvStore;

/**
 * What a deployment owns beyond its guest: its id and its key-value store. Routes with the same id
 * share one deployment; a statically configured route is a deployment too.
 *
 * @param id the deployment id
 * @param kv its store, or null when the engine has no KV service
 * @param running its requests running now, which removing the deployment interrupts
 */
public record Deployment(String id, KvStore kv, RunningRequests running) {
    /** A deployment with no request running yet. */
    public Deployment(String id, KvStore kv) {
        this(id, kv, new RunningRequests());
    }
}
