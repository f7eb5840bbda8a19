package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.engine.GuestLimits;
import dev.vivarium.core.engine.GuestLoadException;
import dev.vivarium.core.engine.GuestLoader;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.routing.RouteSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The deployments of setting {@code routes}, as candidates for the {@link DeploymentRegistry}: one
 * per deployment id (routes with the same id share it), each guest file loaded and compiled once
 * however many routes name it. They never expire.
 */
public final class ConfiguredDeployments {
    private ConfiguredDeployments() {}

    /**
     * Loads every routed guest: each route's guest file resolved against {@code guestDirectory},
     * loaded with {@code limits}; no route may sit on the admin path of {@code uploads}.
     *
     * @throws ConfigurationException naming the route and the problem
     */
    public static List<DeploymentCandidate> load(
            List<RouteSpec> routes,
            UploadOptions uploads,
            Path guestDirectory,
            GuestLimits limits) {
        return load(routes, uploads, guestDirectory, limits, null);
    }

    /** The guest file a route names, as the loader reads it. */
    static Path file(Path guestDirectory, RouteSpec spec) {
        return guestDirectory.resolve(spec.guest()).normalize();
    }

    /**
     * Loads the routed guests of the deployments {@code ids} only (all of them when null), e.g. to
     * reload them after their files changed.
     *
     * @throws ConfigurationException naming the route and the problem
     */
    static List<DeploymentCandidate> load(
            List<RouteSpec> routes,
            UploadOptions uploads,
            Path guestDirectory,
            GuestLimits limits,
            java.util.Set<String> ids) {
        Map<Path, GuestModule> guests = new LinkedHashMap<>();
        Map<String, List<DeploymentCandidate.Binding>> byId = new LinkedHashMap<>();
        for (RouteSpec spec : routes) {
            if (uploads.isAdminPath(spec.path())) {
                throw new ConfigurationException(UploadRules.adminPathMessage(spec, uploads));
            }
        }
        for (RouteSpec spec : routes) {
            if (ids != null && !ids.contains(spec.id())) {
                continue;
            }
            Path file = file(guestDirectory, spec);
            GuestModule guest = guests.get(file);
            if (guest == null) {
                try {
                    guest = GuestLoader.load(file, limits);
                } catch (GuestLoadException e) {
                    throw new ConfigurationException("route '" + spec + "': " + e.getMessage(), e);
                }
                guests.put(file, guest);
            }
            byId.computeIfAbsent(spec.id(), id -> new ArrayList<>())
                    .add(new DeploymentCandidate.Binding(spec, guest));
        }
        List<DeploymentCandidate> out = new ArrayList<>();
        byId.forEach(
                (id, bindings) ->
                        out.add(
                                new DeploymentCandidate(
                                        id,
                                        DeploymentCandidate.Source.SETTINGS,
                                        bindings,
                                        null,
                                        null,
                                        bindings.get(0).guest().size(),
                                        null)));
        return out;
    }
}
