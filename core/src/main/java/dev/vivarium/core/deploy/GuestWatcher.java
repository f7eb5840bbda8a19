package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.engine.GuestLimits;
import dev.vivarium.core.routing.RouteSpec;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Setting {@code guestDirectory.watch}: watches the directories of the routed guest files with the
 * JDK {@link WatchService} and, when one of those files is written, created or moved into place,
 * loads the deployments that name it again and swaps them in through {@link
 * DeploymentRegistry#replaceConfigured} (KV store kept, running requests of the old version
 * finish). A file that does not load (broken, half written) keeps the old version serving and is
 * logged as an error naming the route and the problem; the next change is tried again.
 *
 * <p>Events are gathered until the directory has been quiet for {@link #QUIET_MILLIS}, so a file
 * written in several pieces is normally loaded once, whole. Writing the new file next to the old
 * one and moving it into place ({@code mv new.wasm hello.wasm}) is the safe way to deploy.
 */
public final class GuestWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.deployments");

    /** How long the watched directories must be quiet before changed files are loaded. */
    static final long QUIET_MILLIS = 100;

    private final List<RouteSpec> routes;
    private final UploadOptions uploads;
    private final Path guestDirectory;
    private final GuestLimits limits;
    private final DeploymentRegistry registry;
    private final WatchService watch;
    private final Map<WatchKey, Path> dirs = new HashMap<>();
    private final Map<Path, Set<String>> idsByFile = new LinkedHashMap<>();
    private final Thread thread;
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    /**
     * Starts watching the routed guest files of {@code options}.
     *
     * @throws ConfigurationException if a guest directory cannot be watched
     */
    public GuestWatcher(
            List<RouteSpec> routes,
            UploadOptions uploads,
            Path guestDirectory,
            GuestLimits limits,
            DeploymentRegistry registry) {
        this.routes = List.copyOf(routes);
        this.uploads = uploads;
        this.guestDirectory = guestDirectory;
        this.limits = limits;
        this.registry = registry;
        for (RouteSpec spec : routes) {
            Path file = ConfiguredDeployments.file(guestDirectory, spec).toAbsolutePath();
            idsByFile.computeIfAbsent(file, f -> new LinkedHashSet<>()).add(spec.id());
        }
        try {
            this.watch = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            throw new ConfigurationException(
                    "Vivarium setting 'guestDirectory.watch': cannot watch files: " + e, e);
        }
        try {
            Set<Path> parents = new LinkedHashSet<>();
            idsByFile.keySet().forEach(f -> parents.add(f.getParent()));
            for (Path dir : parents) {
                WatchKey key =
                        dir.register(
                                watch,
                                StandardWatchEventKinds.ENTRY_CREATE,
                                StandardWatchEventKinds.ENTRY_MODIFY);
                dirs.put(key, dir);
            }
        } catch (IOException e) {
            closeQuietly();
            throw new ConfigurationException(
                    "Vivarium setting 'guestDirectory.watch': cannot watch "
                            + guestDirectory.toAbsolutePath()
                            + ": "
                            + e,
                    e);
        }
        this.thread = new Thread(this::loop, "vivarium-guest-watch");
        thread.setDaemon(true);
        thread.start();
        LOG.info("watching {} guest file(s) for changes", idsByFile.size());
    }

    /** Reloads tried so far (each a batch of changed files), for tests and logs. */
    public long attempts() {
        return attempts.get();
    }

    /** Reloads that failed, the old versions kept. */
    public long failures() {
        return failures.get();
    }

    private void loop() {
        try {
            while (true) {
                WatchKey key = watch.take();
                Set<Path> changed = new LinkedHashSet<>();
                // gather until quiet, so a file written in pieces is loaded once
                while (key != null) {
                    collect(key, changed);
                    key = watch.poll(QUIET_MILLIS, TimeUnit.MILLISECONDS);
                }
                if (!changed.isEmpty()) {
                    reload(changed);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private void collect(WatchKey key, Set<Path> changed) {
        Path dir = dirs.get(key);
        for (WatchEvent<?> event : key.pollEvents()) {
            if (dir != null && event.context() instanceof Path name) {
                Path file = dir.resolve(name);
                if (idsByFile.containsKey(file)) {
                    changed.add(file);
                }
            }
        }
        key.reset();
    }

    void reload(Set<Path> changed) {
        Set<String> ids = new LinkedHashSet<>();
        changed.forEach(f -> ids.addAll(idsByFile.get(f)));
        try {
            List<DeploymentCandidate> candidates =
                    ConfiguredDeployments.load(routes, uploads, guestDirectory, limits, ids);
            registry.replaceConfigured(registry.prepare(candidates));
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            LOG.error(
                    "cannot reload changed guest file(s) {}; the old version keeps serving: {}",
                    changed,
                    e.getMessage());
        } finally {
            attempts.incrementAndGet();
        }
    }

    private void closeQuietly() {
        try {
            watch.close();
        } catch (IOException e) {
            LOG.debug("closing the guest watch", e);
        }
    }

    @Override
    public void close() {
        closeQuietly();
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
