package dev.vivarium.core.deploy;

import dev.vivarium.core.engine.Deployment;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.engine.InstancePool;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.routing.RouteSpec;
import java.util.List;

/** How the {@link DeploymentRegistry} reaches the engine's parts: pools, meters, allowlists. */
public interface DeploymentBinder {
    /** Where a route's guest may send requests; throws ConfigurationException if invalid. */
    OutboundPolicy policy(RouteSpec spec);

    /**
     * A pool for a guest: a configured deployment's warmed, an uploaded one's empty (its guest
     * instantiated once to check it can be), so that thousands of idle uploads hold no instance.
     */
    InstancePool pool(GuestModule guest, DeploymentCandidate.Source source);

    /**
     * The deployment that routes of one candidate share: its store and its shares (admission,
     * outbound, log) from the first route's parameters or the settings; throws
     * ConfigurationException when another of its routes asks for other admission limits.
     */
    Deployment deployment(List<RouteSpec> specs, KvStore kv);

    /** A live route (its deadline: the route's own, or the site's), its meters registered. */
    Route route(RouteSpec spec, InstancePool pool, Deployment deployment, OutboundPolicy policy);

    /**
     * Deployment {@code id} is gone (removed, expired, or removed by another node): what the engine
     * kept for it beyond its pools and meters (its log buffer) is dropped.
     */
    default void removed(String id) {}

    /** Closes a pool that no longer takes requests and removes its meters. */
    void release(InstancePool pool);
}
