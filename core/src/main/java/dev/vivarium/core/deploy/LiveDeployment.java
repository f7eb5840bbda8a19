package dev.vivarium.core.deploy;

import dev.vivarium.core.engine.InstancePool;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.routing.RouteSpec;
import java.util.List;
import java.util.Set;

/** A deployment the registry has published: its candidate, its live routes, the pools it owns. */
record LiveDeployment(DeploymentCandidate candidate, List<Route> routes, Set<InstancePool> pools) {
    List<DeploymentInfo> infos() {
        DeploymentCandidate c = candidate;
        boolean kv = routes.get(0).deployment().kv() != null;
        int assets = c.assets() == null ? 0 : c.assets().size();
        return routes.stream()
                .map(
                        r ->
                                new DeploymentInfo(
                                        c.id(),
                                        r.spec().toString(),
                                        c.source() == DeploymentCandidate.Source.UPLOAD,
                                        c.deployedAt(),
                                        c.expiresAt(),
                                        c.source() == DeploymentCandidate.Source.UPLOAD
                                                ? c.moduleBytes()
                                                : r.pool().guest().size(),
                                        kv,
                                        thisFirst(r),
                                        assets))
                .toList();
    }

    /** The specs of every route, {@code first}'s first. */
    private List<RouteSpec> thisFirst(Route first) {
        List<RouteSpec> specs = new java.util.ArrayList<>();
        specs.add(first.spec());
        routes.forEach(
                r -> {
                    if (r != first) {
                        specs.add(r.spec());
                    }
                });
        return specs;
    }
}
