package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.engine.GuestLimits;
import dev.vivarium.core.engine.GuestLoadException;
import dev.vivarium.core.engine.GuestLoader;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.routing.RouteSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

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
        for (RouteSpec spec : routes) {
            if (uploads.isAdminPath(spec.path())) {
                throw new ConfigurationException(UploadRules.adminPathMessage(spec, uploads));
            }
        }
        Map<Path, RouteSpec> firstRoute = new LinkedHashMap<>();
        for (RouteSpec spec : routes) {
            if (ids == null || ids.contains(spec.id())) {
                firstRoute.putIfAbsent(file(guestDirectory, spec), spec);
            }
        }
        Map<Path, GuestModule> guests = loadAll(firstRoute, limits);
        Map<String, List<DeploymentCandidate.Binding>> byId = new LinkedHashMap<>();
        for (RouteSpec spec : routes) {
            if (ids != null && !ids.contains(spec.id())) {
                continue;
            }
            byId.computeIfAbsent(spec.id(), id -> new ArrayList<>())
                    .add(
                            new DeploymentCandidate.Binding(
                                    spec, guests.get(file(guestDirectory, spec))));
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

    /**
     * Opens the stores of the candidates whose guests use KV on a thread of its own, while the
     * engine starts its other parts (opening a MapDB store is a few hundred ms of a start, most of
     * it loading MapDB's classes). Binding the deployments later finds the store open, or waits for
     * the opening under way; a failure here is ignored, binding reports it.
     *
     * @return done once every store was opened or failed to
     */
    public static CompletableFuture<Void> openStoresEarly(
            List<DeploymentCandidate> candidates, KvStores kv) {
        List<String> ids = new ArrayList<>();
        for (DeploymentCandidate c : candidates) {
            if (c.usesKv()) {
                ids.add(c.id());
            }
        }
        if (ids.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t =
                new Thread(
                        () -> {
                            for (String id : ids) {
                                try {
                                    kv.permanentStore(id);
                                } catch (RuntimeException e) {
                                    // binding opens it again and says what is wrong
                                }
                            }
                            done.complete(null);
                        },
                        "vivarium-start-kv");
        t.setDaemon(true);
        t.start();
        return done;
    }

    /**
     * Loads each guest file once, several at a time (compiling is most of a start, and each compile
     * runs on one core); a failure is reported for the first route, in their order, whose file
     * failed, as when they were loaded one by one.
     */
    private static Map<Path, GuestModule> loadAll(Map<Path, RouteSpec> files, GuestLimits limits) {
        List<Path> order = new ArrayList<>(files.keySet());
        int threads = Math.min(order.size(), Runtime.getRuntime().availableProcessors());
        List<CompletableFuture<GuestModule>> loads = new ArrayList<>();
        ExecutorService pool =
                threads <= 1
                        ? null
                        : Executors.newFixedThreadPool(
                                threads,
                                r -> {
                                    Thread t = new Thread(r, "vivarium-start-compile");
                                    t.setDaemon(true);
                                    return t;
                                });
        try {
            for (Path file : order) {
                loads.add(
                        pool == null
                                ? CompletableFuture.completedFuture(null)
                                : CompletableFuture.supplyAsync(() -> loadOne(file, limits), pool));
            }
            Map<Path, GuestModule> out = new LinkedHashMap<>();
            for (int i = 0; i < order.size(); i++) {
                Path file = order.get(i);
                try {
                    GuestModule guest = pool == null ? loadOne(file, limits) : loads.get(i).join();
                    out.put(file, guest);
                } catch (CompletionException e) {
                    Throwable cause = e.getCause();
                    throw failure(files.get(file), cause);
                } catch (Failed e) {
                    throw failure(files.get(file), e);
                }
            }
            return out;
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private static GuestModule loadOne(Path file, GuestLimits limits) {
        try {
            return GuestLoader.load(file, limits);
        } catch (GuestLoadException e) {
            throw new Failed(e);
        }
    }

    private static RuntimeException failure(RouteSpec spec, Throwable cause) {
        if (cause instanceof Failed f) {
            GuestLoadException e = (GuestLoadException) f.getCause();
            return new ConfigurationException("route '" + spec + "': " + e.getMessage(), e);
        }
        if (cause instanceof RuntimeException re) {
            return re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(cause);
    }

    /** A guest that did not load, through the executor. */
    private static final class Failed extends RuntimeException {
        Failed(GuestLoadException cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
