package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.deploy.DeploymentCandidate.Source;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.engine.InstancePool;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.outbound.OutboundPolicy;
import dev.vivarium.core.routing.RouteSpec;
import dev.vivarium.core.routing.RouteTable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every deployment the engine runs, configured or uploaded, on one path: a {@link
 * DeploymentCandidate} (routes and loaded guests, from the settings or from an upload) is bound to
 * running parts outside any lock ({@link #prepare}: allowlists, warmed pools), then published under
 * the registry's lock (KV store, routes, a new route table), and the version it replaces, or a
 * removed or expired one, is retired (its running requests interrupted, its pools closed). A
 * configured deployment is one whose source is the settings and which never expires.
 *
 * <p>Requests read the published route table without locking. Uploaded deployments are kept in a
 * {@link DeploymentRepository}; the registry reads it at start and whenever it reports a change,
 * and is the one place where deployments expire.
 */
public final class DeploymentRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.deployments");

    /** A candidate bound to pools and allowlists, not yet taking requests. */
    public record Prepared(
            DeploymentCandidate candidate,
            List<OutboundPolicy> policies,
            List<InstancePool> pools) {}

    private final DeploymentBinder binder;
    final KvStores kv;
    final Clock clock;
    final DeploymentRepository repository;
    final Map<String, LiveDeployment> live = new LinkedHashMap<>();
    final ScheduledExecutorService jobs;
    private final Retirement retirement;
    private final java.util.concurrent.ScheduledFuture<?> expiry;
    private volatile RouteTable<Route> table = new RouteTable<>(List.of(), s -> null);
    private volatile List<LiveDeployment> snapshot = List.of();

    /** The published deployments by id, read without locking; changed under the lock. */
    private final Map<String, LiveDeployment> published =
            new java.util.concurrent.ConcurrentHashMap<>();

    private volatile int uploadedCount;
    private volatile Map<String, Assets> assets = Map.of();
    private RepositorySync sync;
    private boolean closed;

    public DeploymentRegistry(
            DeploymentBinder binder, KvStores kv, Clock clock, DeploymentRepository repository) {
        this.binder = Objects.requireNonNull(binder, "binder");
        this.kv = Objects.requireNonNull(kv, "kv");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.repository = Objects.requireNonNull(repository, "repository");
        this.jobs =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "vivarium-deployments-expiry");
                            t.setDaemon(true);
                            return t;
                        });
        this.retirement = new Retirement(jobs, binder);
        // the store and the deployment end together: whichever expiry runs first removes both
        kv.onExpired(this::storeExpired);
        this.expiry =
                jobs.scheduleWithFixedDelay(
                        () -> safely("expiring deployments", this::expire), 1, 1, SEC);
    }

    /**
     * Drops the idle instances of every pool that no request took one from for {@code idle} ({@code
     * poolIdleTimeout}), checking a few times per {@code idle} and at least once a second: a
     * deployment nobody calls holds no instance, whatever the number of deployments.
     */
    public void trimIdlePools(Duration idle) {
        long nanos = idle.toNanos();
        long period = Math.max(50, Math.min(1000, idle.toMillis() / 4));
        jobs.scheduleWithFixedDelay(
                () ->
                        safely(
                                "dropping idle instances",
                                () -> {
                                    long now = System.nanoTime();
                                    for (InstancePool p : pools()) {
                                        p.trimIfIdle(now, nanos);
                                    }
                                }),
                period,
                period,
                TimeUnit.MILLISECONDS);
    }

    /** Whether the job that expires deployments is still scheduled (for the health check). */
    public boolean expiryAlive() {
        return !expiry.isDone() && !jobs.isShutdown();
    }

    private static final TimeUnit SEC = TimeUnit.SECONDS;

    // --- binding and publishing ---------------------------------------------------------------

    /**
     * Binds candidates to pools and allowlists, sharing one pool per guest module among them; no
     * lock is held, nothing takes requests yet. On failure nothing is left behind.
     */
    public List<Prepared> prepare(List<DeploymentCandidate> candidates) {
        Map<GuestModule, InstancePool> pools = new IdentityHashMap<>();
        List<Prepared> out = new ArrayList<>();
        try {
            for (DeploymentCandidate c : candidates) {
                List<OutboundPolicy> policies = new ArrayList<>();
                for (DeploymentCandidate.Binding b : c.bindings()) {
                    // first what can refuse it, so a refused one leaves no pool behind
                    policies.add(binder.policy(b.spec()));
                }
                List<InstancePool> ps = new ArrayList<>();
                for (DeploymentCandidate.Binding b : c.bindings()) {
                    InstancePool pool = pools.get(b.guest());
                    if (pool == null) {
                        pool = binder.pool(b.guest(), c.source());
                        pools.put(b.guest(), pool);
                    }
                    ps.add(pool);
                }
                out.add(new Prepared(c, policies, ps));
            }
        } catch (RuntimeException | Error e) {
            pools.values().forEach(binder::release);
            throw e;
        }
        return out;
    }

    /** Releases what {@link #prepare} bound, for a candidate that will not be published. */
    public void discard(Prepared p) {
        identitySet(p.pools()).forEach(binder::release);
    }

    /**
     * Publishes the configured deployments.
     *
     * @throws ConfigurationException if a store cannot be opened
     */
    public synchronized void publishConfigured(List<Prepared> configured) {
        try {
            publishAll(configured);
        } catch (RuntimeException | Error e) {
            live.clear();
            snapshot = List.of();
            Set<InstancePool> pools = Collections.newSetFromMap(new IdentityHashMap<>());
            configured.forEach(p -> pools.addAll(p.pools()));
            pools.forEach(binder::release);
            throw e;
        }
    }

    private void publishAll(List<Prepared> configured) {
        for (Prepared p : configured) {
            String id = p.candidate().id();
            KvStore store;
            try {
                store = p.candidate().usesKv() ? kv.permanentStore(id) : null;
            } catch (RuntimeException e) {
                throw new ConfigurationException(
                        "Vivarium setting 'kv.directory': cannot open the stores in "
                                + kv.options().directory().toAbsolutePath()
                                + ": "
                                + e.getMessage(),
                        e);
            }
            live.put(id, bound(p, store));
        }
        publish();
    }

    /**
     * Replaces live configured deployments by new versions of them (their guest files changed):
     * each keeps its KV store; the version it replaces finishes its running requests (up to {@link
     * Retirement#reloadGrace}) and is retired. Nothing changes for a candidate whose id is not
     * live.
     */
    public synchronized void replaceConfigured(List<Prepared> reloaded) {
        for (Prepared p : reloaded) {
            String id = p.candidate().id();
            LiveDeployment old = live.get(id);
            if (closed
                    || old == null
                    || old.candidate().source() != DeploymentCandidate.Source.SETTINGS) {
                discard(p);
                continue;
            }
            KvStore store = old.routes().get(0).deployment().kv();
            LiveDeployment next = bound(p, store);
            live.put(id, next);
            publish(old, next);
            retirement.retire(old, "reloaded", Retirement.reloadGrace(old));
            LOG.info("reloaded deployment {}: {}", id, p.candidate().bindings().get(0).spec());
        }
    }

    /**
     * Whether {@code spec} fits beside every live route but those of deployment {@code id}.
     *
     * @throws ConfigurationException saying which routes match the same requests
     */
    public synchronized void checkFits(String id, RouteSpec spec) {
        checkFits(id, List.of(spec));
    }

    /**
     * Whether {@code specs} (the routes of one deployment) fit beside every live route but those of
     * deployment {@code id}, and beside each other.
     *
     * @throws ConfigurationException saying which routes match the same requests
     */
    public synchronized void checkFits(String id, List<RouteSpec> specs) {
        // the published table is the live routes: a route of another deployment with the same
        // host and path would take the same requests (routes never overlap otherwise)
        new RouteTable<>(specs, s -> s);
        for (RouteSpec spec : specs) {
            RouteSpec other = table.sameRequests(spec);
            if (other != null && !other.id().equals(id)) {
                throw new ConfigurationException(
                        "routes '" + other + "' and '" + spec + "' match the same requests");
            }
        }
    }

    /**
     * Publishes an uploaded deployment (new, or replacing the live one of its id) and keeps it in
     * the repository; the version it replaces is retired.
     *
     * @param max the most uploaded deployments allowed
     * @throws UploadException if it no longer fits, or cannot be kept; nothing changed then
     */
    public synchronized UploadResult publishUpload(Prepared p, int max) {
        DeploymentCandidate c = p.candidate();
        try {
            if (closed) {
                throw new UploadException(503, "the engine is stopping; nothing can be uploaded");
            }
            LiveDeployment old = live.get(c.id());
            if (old == null && countUploaded() >= max) {
                throw tooMany(max);
            }
            try {
                checkFits(
                        c.id(),
                        c.bindings().stream().map(DeploymentCandidate.Binding::spec).toList());
            } catch (ConfigurationException e) {
                throw new UploadException(409, e.getMessage(), e);
            }
            LiveDeployment next = bindUpload(p, true);
            live.put(c.id(), next);
            publish(old, next);
            if (old != null) {
                retire(old, "replaced");
            }
            LOG.info(
                    "{} deployment {}: {} ({} bytes), expires {}",
                    old == null ? "uploaded" : "replaced",
                    c.id(),
                    c.bindings().get(0).spec(),
                    c.moduleBytes(),
                    c.expiresAt());
            return new UploadResult(next.infos().get(0), old != null);
        } catch (RuntimeException | Error e) {
            discard(p);
            throw e;
        }
    }

    static UploadException tooMany(int max) {
        return new UploadException(
                409,
                "already " + max + " uploaded deployments, the most allowed (deployments.max)");
    }

    /**
     * An uploaded candidate's store and routes; with {@code save}, kept in the repository first. A
     * failure leaves no store behind, nor touches one that was there.
     */
    LiveDeployment bindUpload(Prepared p, boolean save) {
        DeploymentCandidate c = p.candidate();
        String id = c.id();
        // a deployment whose end passed while it was compiled (a restore on a busy node) still
        // binds: its store ends at once and the expiry job removes it the way it removes any other
        Duration lifetime = Duration.between(clock.instant(), c.expiresAt());
        if (lifetime.isNegative() || lifetime.isZero()) {
            lifetime = Duration.ofMillis(1);
        }
        boolean newStore = !kv.deployments().contains(id);
        KvStore store = null;
        if (c.usesKv()) {
            store = newStore ? kv.create(id, lifetime) : kv.store(id);
        }
        LiveDeployment next = bound(p, store);
        if (save) {
            try {
                repository.save(c.record());
            } catch (RepositoryUnavailableException e) {
                if (newStore) {
                    kv.delete(id);
                }
                throw new UploadException(
                        503, "cannot keep the upload: " + e.getMessage() + "; try again", e, 5);
            } catch (IOException | RuntimeException e) {
                if (newStore) {
                    kv.delete(id);
                }
                throw new UploadException(
                        500, "cannot keep the upload in " + repository.describe() + ": " + e, e);
            }
        }
        if (!newStore) {
            // only now that nothing can refuse it: the store ends with this version
            kv.expireAfter(id, lifetime);
        }
        return next;
    }

    private LiveDeployment bound(Prepared p, KvStore store) {
        DeploymentCandidate c = p.candidate();
        var deployment =
                binder.deployment(c.bindings().stream().map(b -> b.spec()).toList(), store);
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < c.bindings().size(); i++) {
            routes.add(
                    binder.route(
                            c.bindings().get(i).spec(),
                            p.pools().get(i),
                            deployment,
                            p.policies().get(i)));
        }
        return new LiveDeployment(c, List.copyOf(routes), identitySet(p.pools()));
    }

    /** Publishes every live deployment anew (at start and at close). */
    void publish() {
        Map<RouteSpec, Route> all = new LinkedHashMap<>();
        live.values().forEach(l -> l.routes().forEach(r -> all.put(r.spec(), r)));
        table = new RouteTable<>(new ArrayList<>(all.keySet()), all::get);
        published.keySet().retainAll(live.keySet());
        published.putAll(live);
        snapshot = List.copyOf(live.values());
        uploadedCount =
                (int)
                        live.values().stream()
                                .filter(l -> l.candidate().source() == Source.UPLOAD)
                                .count();
        Map<String, Assets> a = new java.util.HashMap<>();
        live.forEach(
                (id, l) -> {
                    if (l.candidate().assets() != null) {
                        a.put(id, l.candidate().assets());
                    }
                });
        assets = Map.copyOf(a);
    }

    /**
     * Publishes one change of {@code live}: deployment {@code removed}'s routes go, {@code added}'s
     * come (either may be null; both for a replacement). Only the routes of those two are touched,
     * so publishing one deployment costs the same beside 10 others or 10,000.
     */
    void publish(LiveDeployment removed, LiveDeployment added) {
        Map<RouteSpec, Route> adding = new LinkedHashMap<>();
        if (added != null) {
            added.routes().forEach(r -> adding.put(r.spec(), r));
        }
        List<RouteSpec> removing =
                removed == null ? List.of() : removed.routes().stream().map(Route::spec).toList();
        table = table.with(removing, adding.keySet(), adding::get);
        if (removed != null && added == null) {
            published.remove(removed.candidate().id(), removed);
        }
        if (added != null) {
            published.put(added.candidate().id(), added);
        }
        snapshot = List.copyOf(live.values());
        uploadedCount += uploads(added) - uploads(removed);
        if (removed != null && removed.candidate().assets() != null
                || added != null && added.candidate().assets() != null) {
            Map<String, Assets> a = new java.util.HashMap<>(assets);
            if (removed != null) {
                a.remove(removed.candidate().id());
            }
            if (added != null && added.candidate().assets() != null) {
                a.put(added.candidate().id(), added.candidate().assets());
            }
            assets = Map.copyOf(a);
        }
    }

    private static int uploads(LiveDeployment l) {
        return l != null && l.candidate().source() == Source.UPLOAD ? 1 : 0;
    }

    /** Stops a deployment that no longer takes requests: its requests, then its pools. */
    void retire(LiveDeployment l, String why) {
        retirement.retire(l, why);
    }

    private static Set<InstancePool> identitySet(List<InstancePool> pools) {
        Set<InstancePool> s = Collections.newSetFromMap(new IdentityHashMap<>());
        s.addAll(pools);
        return s;
    }

    /** The kept record of uploaded deployment {@code id}, or null when there is none. */
    synchronized DeploymentRecord uploadedRecord(String id) {
        LiveDeployment l = live.get(id);
        return l == null || l.candidate().source() != DeploymentCandidate.Source.UPLOAD
                ? null
                : l.candidate().record();
    }

    // --- removal and expiry -------------------------------------------------------------------

    /**
     * Removes an uploaded deployment now, with its KV store and its kept copy; its running requests
     * are interrupted. An expired one is expired in the repository, and its store deleted only by
     * the node whose {@link DeploymentRepository#expire} removed it, so that expiry runs once for
     * nodes sharing a repository.
     *
     * @return false if there is no uploaded deployment {@code id}
     * @throws UploadException 503 if the repository is unavailable (nothing changed then)
     */
    public synchronized boolean remove(String id, String why) {
        LiveDeployment l = live.get(id);
        if (l == null || l.candidate().source() != DeploymentCandidate.Source.UPLOAD) {
            return false;
        }
        boolean expired = why.equals("expired");
        if (!expired) {
            try {
                repository.delete(id);
            } catch (RepositoryUnavailableException e) {
                throw new UploadException(
                        503,
                        "cannot remove deployment "
                                + id
                                + ": "
                                + e.getMessage()
                                + "; it still runs, try again",
                        e,
                        5);
            } catch (IOException | RuntimeException e) {
                LOG.warn(
                        "cannot delete deployment {} from {}: {}",
                        id,
                        repository.describe(),
                        e.toString());
            }
        }
        unpublish(l, why);
        boolean deleteStore = true;
        if (expired) {
            try {
                deleteStore = repository.expire(id, clock.instant());
            } catch (IOException | RuntimeException e) {
                // the repository still has it: whoever reads it next expires it, with its store
                deleteStore = !(e instanceof RepositoryUnavailableException);
                LOG.warn(
                        "cannot expire deployment {} in {}: {}",
                        id,
                        repository.describe(),
                        e.toString());
            }
        }
        if (deleteStore) {
            kv.deleteWithDeployment(id);
        }
        LOG.info(
                "{} deployment {} ({}){}",
                why,
                id,
                l.routes().get(0).spec(),
                deleteStore ? " and its KV store" : "");
        return true;
    }

    /**
     * Stops serving an uploaded deployment that is gone from the repository (removed or expired by
     * another node, which deleted its store): neither the repository nor the store is touched,
     * since a new upload of the same id may already be there.
     */
    synchronized void forget(String id, String why) {
        LiveDeployment l = live.get(id);
        if (l != null && l.candidate().source() == DeploymentCandidate.Source.UPLOAD) {
            unpublish(l, why);
            // no write of this node reaches the store the other node deleted, once this returns
            kv.release(id);
            LOG.info("{} deployment {} ({})", why, id, l.routes().get(0).spec());
        }
    }

    private void unpublish(LiveDeployment l, String why) {
        live.remove(l.candidate().id());
        publish(l, null);
        retire(l, why);
        binder.removed(l.candidate().id());
    }

    /**
     * Removes the deployments whose lifetime ended, as of the clock's now. Runs once a second;
     * tests with their own clock call it directly.
     *
     * @return the ids removed
     */
    public synchronized List<String> expire() {
        Instant now = clock.instant();
        List<String> due = new ArrayList<>();
        live.forEach(
                (id, l) -> {
                    Instant end = l.candidate().expiresAt();
                    if (end != null && !now.isBefore(end)) {
                        due.add(id);
                    }
                });
        due.forEach(id -> remove(id, "expired"));
        return due;
    }

    /** The KV store of {@code id} ended its lifetime: so did the deployment, if it is uploaded. */
    private synchronized void storeExpired(String id) {
        LiveDeployment l = live.get(id);
        if (l != null
                && l.candidate().expiresAt() != null
                && !clock.instant().isBefore(l.candidate().expiresAt())) {
            remove(id, "expired");
        }
    }

    /**
     * Brings back the kept deployments (those expired meanwhile are deleted with their store) and
     * watches the repository: on a change notice it is read again.
     *
     * @param loader turns a kept deployment into a candidate (checks and compiles it)
     */
    public synchronized void restore(Function<DeploymentRecord, DeploymentCandidate> loader) {
        this.sync = new RepositorySync(this, loader);
        sync.start();
    }

    // --- reading ------------------------------------------------------------------------------

    /**
     * The live route that took over from {@code old}: the route with the same host and path of the
     * version of its deployment that runs now; null when there is none (the deployment was removed,
     * or its new version routes other paths). Never waits for a lock.
     */
    public Route successor(Route old) {
        LiveDeployment l = published.get(old.deployment().id());
        if (l != null) {
            for (Route r : l.routes()) {
                if (r != old
                        && Objects.equals(r.spec().host(), old.spec().host())
                        && r.spec().path().equals(old.spec().path())) {
                    return r;
                }
            }
        }
        return null;
    }

    /** The route that takes a request for this host and path, or null; never waits for a lock. */
    public Route match(String host, String path) {
        return table.match(host, path);
    }

    /**
     * The static files of deployment {@code id}, served before its guest runs; null when it has
     * none. Never waits for a lock.
     */
    public Assets assets(String id) {
        return assets.get(id);
    }

    /** Where uploads are kept, for messages. */
    public String repositoryDescription() {
        return repository.describe();
    }

    /** Whether the repository keeps a bundle's assets (see {@link DeploymentRepository}). */
    public boolean keepsAssets() {
        return repository.keepsAssets();
    }

    /** Every route, most specific first. */
    public List<Route> routes() {
        return table.targets();
    }

    /** Every route's spec, most specific first. */
    public List<RouteSpec> specs() {
        return table.specs();
    }

    /** Every deployment, configured ones first, one entry per route; never waits for a lock. */
    public List<DeploymentInfo> list() {
        return snapshot.stream().flatMap(l -> l.infos().stream()).toList();
    }

    /** The uploaded deployments, oldest first; never waits for a lock. */
    public List<DeploymentInfo> uploaded() {
        return list().stream().filter(DeploymentInfo::uploaded).toList();
    }

    /** How many deployments are uploaded now. */
    public int countUploaded() {
        return uploadedCount;
    }

    /** Whether {@code id} is a configured deployment's. */
    public boolean isConfigured(String id) {
        LiveDeployment l = published.get(id);
        return l != null && l.candidate().source() == Source.SETTINGS;
    }

    /** Whether {@code id} is an uploaded deployment's; never waits for a lock. */
    public boolean isUploaded(String id) {
        LiveDeployment l = published.get(id);
        return l != null && l.candidate().source() == Source.UPLOAD;
    }

    /**
     * Uploaded deployment {@code id}'s entries (one per route), or null; never waits for a lock.
     */
    public DeploymentInfo uploaded(String id) {
        LiveDeployment l = published.get(id);
        return l == null || l.candidate().source() != Source.UPLOAD ? null : l.infos().get(0);
    }

    /** How many routes are published. */
    public int routeCount() {
        return table.size();
    }

    /** The routes of one source's deployments. */
    public List<Route> routes(DeploymentCandidate.Source source) {
        return snapshot.stream()
                .filter(l -> l.candidate().source() == source)
                .flatMap(l -> l.routes().stream())
                .toList();
    }

    /** The pools of all deployments, configured ones first, each once. */
    public List<InstancePool> pools() {
        Set<InstancePool> all = Collections.newSetFromMap(new IdentityHashMap<>());
        List<InstancePool> out = new ArrayList<>();
        for (LiveDeployment l : snapshot) {
            for (Route r : l.routes()) {
                if (all.add(r.pool())) {
                    out.add(r.pool());
                }
            }
        }
        return out;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Stops the expiry job and releases every pool; the repository keeps the uploads. */
    @Override
    public synchronized void close() {
        closed = true;
        jobs.shutdownNow();
        if (sync != null) {
            safely("closing the repository watch", sync::close);
        }
        Set<InstancePool> pools = Collections.newSetFromMap(new IdentityHashMap<>());
        live.values().forEach(l -> pools.addAll(l.pools()));
        live.clear();
        publish();
        pools.forEach(binder::release);
        repository.close();
    }

    interface Job {
        void run() throws Exception;
    }

    /** Runs a scheduled job; whatever it throws is logged, so the next run still comes. */
    static void safely(String what, Job job) {
        try {
            job.run();
        } catch (Throwable e) {
            LOG.warn("{} failed", what, e);
        }
    }
}
