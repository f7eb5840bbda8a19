package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.deploy.DeploymentCandidate.Source;
import java.io.IOException;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the registry's uploaded deployments match its repository's: at start, and again on every
 * change notice (which says only "look again"). New or changed ones are loaded and published, those
 * gone from the repository are retired, expired ones deleted with their store. Runs under the
 * registry's lock.
 */
final class RepositorySync implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.deployments");

    /** How soon a deployment that could not be restored for a passing reason is tried again. */
    static final java.time.Duration RETRY = java.time.Duration.ofSeconds(1);

    private final DeploymentRegistry registry;
    private final Function<DeploymentRecord, DeploymentCandidate> loader;
    private AutoCloseable watch;

    private boolean retryScheduled; // under the registry's lock

    RepositorySync(
            DeploymentRegistry registry, Function<DeploymentRecord, DeploymentCandidate> loader) {
        this.registry = registry;
        this.loader = Objects.requireNonNull(loader, "loader");
    }

    /** Reads the repository once, then on each of its notices (on the registry's job thread). */
    void start() {
        reconcile();
        watch =
                registry.repository.watch(
                        () ->
                                registry.jobs.execute(
                                        () ->
                                                DeploymentRegistry.safely(
                                                        "reading the deployments",
                                                        this::reconcile)));
    }

    void reconcile() {
        synchronized (registry) {
            if (registry.isClosed()) {
                return;
            }
            List<DeploymentRecord> kept;
            try {
                kept = registry.repository.list();
            } catch (IOException e) {
                throw new ConfigurationException(
                        "Vivarium setting 'deployments.store' (or 'deployments.directory'): cannot"
                                + " read "
                                + registry.repository.describe()
                                + ": "
                                + e,
                        e);
            }
            Instant now = registry.clock.instant();
            boolean retry = false;
            List<LiveDeployment> replaced = new java.util.ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (DeploymentRecord r : kept) {
                seen.add(r.id());
                LiveDeployment l = registry.live.get(r.id());
                if (l != null && r.equals(l.candidate().record())) {
                    continue;
                }
                retry |= !restore(r, l, now, replaced);
            }
            for (LiveDeployment l : List.copyOf(registry.live.values())) {
                String id = l.candidate().id();
                if (l.candidate().source() == Source.UPLOAD && !seen.contains(id)) {
                    registry.forget(id, "removed elsewhere");
                }
            }
            // only once the new versions are published: a request that was waiting for an old
            // version then finds its successor (DeploymentRegistry.successor)
            replaced.forEach(l -> registry.retire(l, "replaced"));
            if (retry) {
                // not applied: the repository's next notice may never come (the change that
                // failed here was its last), so look again soon; and this node does not claim
                // to serve this version meanwhile (vivarium deploy --wait)
                scheduleRetry();
            } else {
                registry.repository.applied();
            }
        }
    }

    private void scheduleRetry() {
        if (retryScheduled) {
            return;
        }
        retryScheduled = true;
        try {
            registry.jobs.schedule(
                    () -> {
                        synchronized (registry) {
                            retryScheduled = false;
                        }
                        DeploymentRegistry.safely("reading the deployments", this::reconcile);
                    },
                    RETRY.toMillis(),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            retryScheduled = false; // closing
        }
    }

    /**
     * Publishes, drops or expires one record; false if it could not be restored for a passing
     * reason (KV or the repository unreachable for a moment) and is to be tried again.
     */
    private boolean restore(
            DeploymentRecord r,
            LiveDeployment current,
            Instant now,
            List<LiveDeployment> replaced) {
        String id = r.id();
        try {
            if (current != null && current.candidate().source() == Source.SETTINGS) {
                // the configured deployment owns the id now, and with it the KV store
                registry.repository.delete(id);
                LOG.warn(
                        "uploaded deployment {} dropped: its id is now configured in 'routes',"
                                + " whose deployment keeps the KV store",
                        id);
                return true;
            }
            if (!now.isBefore(r.expiresAt())) {
                if (current != null) {
                    registry.forget(id, "expired");
                }
                // nodes sharing the repository all find it: one of them deletes it
                if (registry.repository.expire(id, now)) {
                    registry.kv.deleteWithDeployment(id);
                    LOG.info("deployment {} expired; deleted with its KV store", id);
                }
                return true;
            }
            DeploymentCandidate c = loader.apply(r);
            registry.checkFits(id, c.bindings().get(0).spec());
            DeploymentRegistry.Prepared p = registry.prepare(List.of(c)).get(0);
            LiveDeployment next;
            try {
                next = registry.bindUpload(p, false);
            } catch (RuntimeException e) {
                registry.discard(p);
                throw e;
            }
            registry.live.put(id, next);
            registry.publish(current, next);
            if (current != null) {
                replaced.add(current);
            }
            LOG.info(
                    "restored uploaded deployment {}: {}, expires {}",
                    id,
                    r.route(),
                    r.expiresAt());
            return true;
        } catch (IOException | RuntimeException e) {
            // the KV backend or the repository unreachable for a moment: tried again soon
            boolean passing =
                    e instanceof IOException
                            || e instanceof dev.vivarium.core.kv.KvUnavailableException
                            || e.getCause() instanceof dev.vivarium.core.kv.KvUnavailableException;
            LOG.warn(
                    "uploaded deployment {} ({}) not restored: {}; its files stay{}",
                    id,
                    registry.repository.describe(),
                    e.getMessage(),
                    passing ? ", tried again in " + RETRY.toSeconds() + " s" : "");
            return !passing;
        }
    }

    @Override
    public void close() throws Exception {
        if (watch != null) {
            watch.close();
        }
    }
}
