package dev.vivarium.core.deploy;

import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.routing.RouteSpec;
import java.time.Instant;
import java.util.List;

/**
 * A deployment about to be bound by the {@link DeploymentRegistry}: its routes with their loaded
 * guests, where it comes from and how long it lives. Every source (the settings, an upload, a
 * repository change) produces these; the registry binds them all the same way.
 *
 * @param id the deployment id (names its KV store)
 * @param source where it comes from
 * @param bindings its routes, each with the guest that answers it
 * @param deployedAt when it was uploaded; null for a configured one
 * @param expiresAt when it ends with its KV store; null for one that never expires
 * @param moduleBytes the size of its module
 * @param record how it is kept in the repository; null for a configured one
 * @param assets the static files served before its guest runs; null for none
 */
public record DeploymentCandidate(
        String id,
        Source source,
        List<Binding> bindings,
        Instant deployedAt,
        Instant expiresAt,
        long moduleBytes,
        DeploymentRecord record,
        Assets assets) {

    /** A deployment without assets. */
    public DeploymentCandidate(
            String id,
            Source source,
            List<Binding> bindings,
            Instant deployedAt,
            Instant expiresAt,
            long moduleBytes,
            DeploymentRecord record) {
        this(id, source, bindings, deployedAt, expiresAt, moduleBytes, record, null);
    }

    /** Where a deployment comes from. */
    public enum Source {
        /** The {@code routes} setting: lives as long as the engine. */
        SETTINGS,
        /**
         * The admin API, {@link Uploads} or the repository: lives until it expires or is removed.
         */
        UPLOAD
    }

    /** A route and the guest that answers it. */
    public record Binding(RouteSpec spec, GuestModule guest) {}

    public DeploymentCandidate {
        bindings = List.copyOf(bindings);
        if (bindings.isEmpty()) {
            throw new IllegalArgumentException("deployment " + id + " has no route");
        }
    }

    boolean usesKv() {
        return bindings.stream().anyMatch(b -> b.guest().usesKv());
    }
}
