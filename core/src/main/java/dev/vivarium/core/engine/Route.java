package dev.vivarium.core.engine;

import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.routing.RouteSpec;
import java.time.Duration;

/**
 * A configured route bound to its running parts: the guest's instance pool and its deployment.
 *
 * @param spec the route as configured
 * @param pool the instances of its guest (shared by routes naming the same guest file)
 * @param deployment its deployment (shared by routes with the same id)
 * @param deadline its deadline (the route's own, or the global one)
 * @param outbound where its guest may send requests
 * @param environment what its requests share (clock, store, buffers, what they open on first use)
 */
public record Route(
        RouteSpec spec,
        InstancePool pool,
        Deployment deployment,
        Duration deadline,
        OutboundPolicy outbound,
        CallContext.Environment environment) {
    public String guestName() {
        return pool.guest().name();
    }

    @Override
    public String toString() {
        return spec
                + " (deadline "
                + deadline.toMillis()
                + "ms, deployment "
                + deployment.id()
                + ")";
    }
}
