package dev.vivarium.core.kv;

import dev.vivarium.core.BackgroundTasks;
import dev.vivarium.core.kv.StoreCounters.Op;
import dev.vivarium.core.kv.StoreCounters.Result;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-value stores of all deployments, over the {@link KvBackend} {@code kv.backend} names (by
 * default {@code mapdb}: one MapDB file per deployment under {@code kv.directory}). A store is
 * created empty on first use and keeps its data across restarts. A deployment reaches only the
 * store {@link #store} handed it, so no key a guest passes can reach another deployment's data.
 *
 * <p>This layer does, once for every backend: the key limit and the insert-value limit ({@link
 * KvLimits}), time to live on the injected clock, the expiry run, the store's lifetime tied to its
 * deployment (permanent for a configured deployment, {@link #create ending} with an uploaded one),
 * reopening a store an operator deleted or whose backend object failed, and the meters.
 *
 * <p><b>Durability.</b> A write returns only once it is durable in the backend (for {@code mapdb}:
 * in the store's write-ahead log, synced, see {@code kv.mapdb.MapDbBackend}), except on a thread in
 * a {@link PendingWrites} scope (a guest's request: the engine waits for the writes before it
 * answers) or with {@code kv.durability=interval} ({@link KvOptions.Durability}). Reads may see a
 * write that is still being committed.
 *
 * <p><b>Expiry.</b> A store may be given a lifetime ({@link #create(String, Duration)}, {@link
 * #expireAfter}); when it ends the store and its data are deleted and {@link #onExpired} listeners
 * are told. Keys written with a time to live read as absent once it passed, and are deleted by the
 * same run. The run reads the injected clock; a daemon thread calls {@link #runExpiry()} every
 * {@code kv.purgeInterval}.
 *
 * <p>Meters: gauge {@code vivarium.kv.stores} (open stores) and the per-deployment meters described
 * in {@link StoreMeters}.
 */
public final class KvStores implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvStores.class);

    private final KvOptions options;
    private final KvBackend backend;
    private final Clock clock;
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, OpenStore> open = new ConcurrentHashMap<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final Meter storesGauge;
    private volatile boolean closed;
    private final java.util.concurrent.ScheduledFuture<?> expiry;

    /** What one {@link #runExpiry()} did: stores deleted (lifetime ended), keys purged. */
    public record ExpiryRun(List<String> deletedStores, long purgedKeys) {}

    private KvStores(KvOptions options, KvBackend backend, Clock clock, MeterRegistry registry) {
        this.options = options;
        this.backend = backend;
        this.clock = clock;
        this.registry = registry;
        this.storesGauge =
                Gauge.builder("vivarium.kv.stores", open, ConcurrentHashMap::size)
                        .description("open key-value stores")
                        .register(registry);
        this.scheduler =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "vivarium-kv-expiry");
                            t.setDaemon(true);
                            return t;
                        });
        long period = options.purgeInterval().toMillis();
        this.expiry =
                scheduler.scheduleWithFixedDelay(
                        BackgroundTasks.surviving(LOG, "KV expiry run", this::runExpiry),
                        period,
                        period,
                        TimeUnit.MILLISECONDS);
    }

    /**
     * Opens the backend {@code options.backend()} names and starts the expiry thread.
     *
     * @throws dev.vivarium.core.config.ConfigurationException if {@code kv.backend} names no
     *     backend on the classpath (the message lists the valid ones) or a backend setting is wrong
     *     (for {@code mapdb}: {@code kv.directory} names a file)
     * @throws KvUnavailableException if the backend cannot be used at all
     */
    public static KvStores open(KvOptions options, Clock clock, MeterRegistry registry) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(registry, "registry");
        KvBackend backend =
                KvBackends.provider(options.backend())
                        .open(new KvBackendContext(options, registry));
        return new KvStores(options, backend, clock, registry);
    }

    public KvOptions options() {
        return options;
    }

    /** The backend's name ({@code kv.backend}). */
    public String backendName() {
        return backend.name();
    }

    /** Whether the job that purges expired keys and stores is still scheduled. */
    public boolean expiryAlive() {
        return !closed && !expiry.isDone();
    }

    /** Whether the backend can serve now (for a remote backend: whether it is reachable). */
    public KvHealth health() {
        try {
            return backend.health();
        } catch (RuntimeException e) {
            return KvHealth.down(e.toString());
        }
    }

    Clock clock() {
        return clock;
    }

    /**
     * The store of one deployment, opened now and created empty if it does not exist yet.
     *
     * @throws IllegalArgumentException if the id cannot name a store (empty or too long)
     * @throws KvUnavailableException if the store cannot be opened
     */
    public KvStore store(String deploymentId) {
        return new StoreHandle(this, deploymentId, live(deploymentId));
    }

    /**
     * {@link #store} for a deployment configured to live until it is configured away: a lifetime
     * the store still has from an uploaded deployment of the same id is removed.
     */
    public KvStore permanentStore(String deploymentId) {
        OpenStore s =
                open.compute(
                        checkId(deploymentId),
                        (id, cur) -> {
                            OpenStore o = usable(cur) ? cur : reopen(id, cur);
                            if (o.lifetimeEnd() != 0) {
                                backend.lifetimeEnd(id, 0);
                                o.lifetimeEnd(0);
                            }
                            return o;
                        });
        return new StoreHandle(this, deploymentId, s);
    }

    /** {@link #store} for a deployment that lives {@code lifetime}, counted from now. */
    public KvStore create(String deploymentId, Duration lifetime) {
        OpenStore s = setLifetime(deploymentId, lifetime);
        return new StoreHandle(this, deploymentId, s);
    }

    /** Sets (or resets) the store's lifetime to end {@code lifetime} from now. */
    public void expireAfter(String deploymentId, Duration lifetime) {
        existing(deploymentId);
        setLifetime(deploymentId, lifetime);
    }

    /** Calls {@code listener} with the deployment id after a store's lifetime ended. */
    public void onExpired(Consumer<String> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Every deployment with a store, open or in the backend, sorted. */
    public List<String> deployments() {
        TreeSet<String> ids = new TreeSet<>(open.keySet());
        ids.addAll(backend.list());
        return List.copyOf(ids);
    }

    /** Up to {@code limit} live keys of a deployment's store, sorted. */
    public List<String> keys(String deploymentId, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        List<String> keys = new ArrayList<>(existing(deploymentId).keys(limit, clock.millis()));
        keys.sort(null);
        return keys;
    }

    /** A value as the deployment would read it, or null. */
    public byte[] get(String deploymentId, String key) {
        KvBackendStore s = existing(deploymentId);
        if (KvLimits.keyBytes(key) > options.maxKeySize()) {
            return null;
        }
        return s.get(key, clock.millis());
    }

    /** Deletes every key of a deployment's store; the store stays. */
    public void clear(String deploymentId) {
        existing(deploymentId).clear();
    }

    /**
     * Deletes a deployment's store and its data. The deployment's next operation starts a new,
     * empty store.
     *
     * @throws KvUnavailableException if another engine has the store open (nothing is deleted)
     * @return whether there was a store
     */
    public boolean delete(String deploymentId) {
        return delete(deploymentId, StoreClosed.DELETED);
    }

    private boolean delete(String deploymentId, StoreClosed reason) {
        boolean[] existed = {false};
        open.compute(
                deploymentId,
                (id, o) -> {
                    existed[0] = o != null || backend.exists(id);
                    if (o != null) {
                        o.close(reason);
                    }
                    backend.delete(id);
                    return null;
                });
        return existed[0];
    }

    /**
     * Deletes the store of a deployment that is gone (removed, or its lifetime ended) and its data.
     * Unlike {@link #delete}, operations still running on it (a request that was routed before the
     * deployment went away) fail instead of starting a new store; a later deployment with the same
     * id starts a new, empty one.
     *
     * @return whether there was a store
     */
    public boolean deleteWithDeployment(String deploymentId) {
        return delete(deploymentId, StoreClosed.REMOVED);
    }

    /** Sizes and operation counts of a deployment's store. */
    public KvStats stats(String deploymentId) {
        KvBackendStore s = existing(deploymentId);
        OpenStore o = open.get(deploymentId);
        StoreCounters c = o != null ? o.counters : new StoreCounters();
        long end = o != null ? o.lifetimeEnd() : backend.lifetimeEnd(deploymentId);
        return new KvStats(
                deploymentId,
                s.keyCount(),
                s.byteCount(),
                end == 0 ? null : Instant.ofEpochMilli(end),
                c.total(Op.GET),
                c.of(Op.GET, Result.HIT).sum(),
                c.of(Op.GET, Result.MISS).sum(),
                c.total(Op.INSERT),
                c.total(Op.UPSERT),
                c.total(Op.APPEND),
                c.total(Op.REMOVE),
                s.commitCount(),
                s.purgedCount());
    }

    /**
     * Deletes the stores whose lifetime ended (telling the {@link #onExpired} listeners) and the
     * expired keys of the others, as of the clock's now. The expiry thread calls this every {@code
     * kv.purgeInterval}; tests call it directly.
     */
    public ExpiryRun runExpiry() {
        if (backend.shared()) {
            return runSharedExpiry();
        }
        long now = clock.millis();
        TreeSet<String> ids = new TreeSet<>(open.keySet());
        ids.addAll(backend.list());
        List<String> deleted = new ArrayList<>();
        long purged = 0;
        for (String id : ids) {
            try {
                if (expireIfEnded(id, now)) {
                    deleted.add(id);
                } else {
                    OpenStore o = open.get(id);
                    if (o != null) {
                        purged += o.store.purgeExpired(now);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("KV expiry of deployment '{}' failed: {}", id, e.toString());
            }
        }
        tell(deleted);
        return new ExpiryRun(List.copyOf(deleted), purged);
    }

    private void tell(List<String> deleted) {
        for (String id : deleted) {
            LOG.info("KV store of deployment '{}' deleted: its lifetime ended", id);
            for (Consumer<String> l : listeners) {
                try {
                    l.accept(id);
                } catch (RuntimeException e) {
                    LOG.warn("KV expiry listener failed for deployment '{}'", id, e);
                }
            }
        }
    }

    /**
     * The expiry of a backend several engines share: the pass runs once for all of them ({@link
     * KvBackend#expireShared}, under the backend's lock); each engine then closes the store objects
     * it has open whose store was deleted, or whose lifetime ended as it knows it (the pass of
     * whichever engine runs next deletes those), and tells its listeners.
     */
    private ExpiryRun runSharedExpiry() {
        long now = clock.millis();
        KvBackend.SharedExpiry pass = null;
        try {
            pass = backend.expireShared(now);
        } catch (RuntimeException e) {
            LOG.warn("KV expiry pass failed: {}", e.toString());
        }
        TreeSet<String> ended = new TreeSet<>(pass == null ? List.of() : pass.deletedStores());
        for (String id : List.copyOf(open.keySet())) {
            open.computeIfPresent(
                    id,
                    (k, o) -> {
                        long end = o.lifetimeEnd();
                        if (!ended.contains(k) && (end == 0 || now < end)) {
                            return o;
                        }
                        o.close(StoreClosed.EXPIRED);
                        ended.add(k);
                        return null;
                    });
        }
        List<String> deleted = List.copyOf(ended);
        tell(deleted);
        return new ExpiryRun(deleted, pass == null ? 0 : pass.purgedKeys());
    }

    /**
     * Closes this engine's store object of a deployment that another engine removed (and whose
     * store it deleted): operations still running on it fail, and none reaches the shared backend
     * after this returns. The data is not touched; a later deployment with the id opens it anew.
     */
    public void release(String deploymentId) {
        open.computeIfPresent(
                deploymentId,
                (id, o) -> {
                    o.close(StoreClosed.REMOVED);
                    return null;
                });
    }

    private boolean expireIfEnded(String deploymentId, long now) {
        boolean[] expired = {false};
        open.compute(
                deploymentId,
                (id, o) -> {
                    long end = o != null ? o.lifetimeEnd() : backend.lifetimeEnd(id);
                    if (end == 0 || now < end) {
                        return o;
                    }
                    if (o != null) {
                        o.close(StoreClosed.EXPIRED);
                    }
                    backend.delete(id);
                    expired[0] = true;
                    return null;
                });
        return expired[0];
    }

    // --- opening --------------------------------------------------------------------------------

    /** The open store of a deployment, opening or creating it. */
    OpenStore live(String deploymentId) {
        OpenStore o = open.get(deploymentId);
        if (usable(o)) {
            return o;
        }
        return open.compute(
                checkId(deploymentId), (id, cur) -> usable(cur) ? cur : reopen(id, cur));
    }

    private static String checkId(String deploymentId) {
        if (Objects.requireNonNull(deploymentId, "deploymentId").isEmpty()) {
            throw new IllegalArgumentException("a deployment id must not be empty");
        }
        return deploymentId;
    }

    /** The store of a deployment that has one (open or in the backend). */
    private KvBackendStore existing(String deploymentId) {
        OpenStore o = open.get(deploymentId);
        if (o == null || o.store.closedReason() != null) {
            if (!backend.exists(deploymentId)) {
                throw new IllegalArgumentException(
                        "no KV store for deployment '"
                                + deploymentId
                                + "'; stores: "
                                + deployments());
            }
        }
        return live(deploymentId).store;
    }

    private OpenStore setLifetime(String deploymentId, Duration lifetime) {
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("a store lifetime must be positive: " + lifetime);
        }
        long now = clock.millis();
        long end =
                lifetime.compareTo(Duration.ofMillis(Long.MAX_VALUE - now)) >= 0
                        ? Long.MAX_VALUE
                        : now + lifetime.toMillis();
        return open.compute(
                checkId(deploymentId),
                (id, cur) -> {
                    OpenStore o = usable(cur) ? cur : reopen(id, cur);
                    backend.lifetimeEnd(id, end);
                    o.lifetimeEnd(end);
                    return o;
                });
    }

    private static boolean usable(OpenStore o) {
        return o != null && o.usable();
    }

    /**
     * Opens a store whose open instance is missing, closed or failed; a failed one is closed first
     * (it may still hold resources) and the store comes back as its last commit left it.
     */
    private OpenStore reopen(String deploymentId, OpenStore cur) {
        if (cur != null && cur.store.closedReason() == null) {
            LOG.warn("KV store of deployment '{}' failed; opening it again", deploymentId);
            cur.close(StoreClosed.FAILED);
        }
        return openStore(deploymentId);
    }

    /** Opens a store; one whose lifetime already ended is deleted first and starts empty. */
    private OpenStore openStore(String deploymentId) {
        if (closed) {
            throw new KvUnavailableException("the KV stores are closed (the engine is stopping)");
        }
        long end = backend.lifetimeEnd(deploymentId);
        if (end != 0 && clock.millis() >= end) {
            backend.delete(deploymentId);
            end = 0;
        }
        OpenStore o = new OpenStore(deploymentId, backend.open(deploymentId), end);
        o.meters(new StoreMeters(registry, o));
        return o;
    }

    /**
     * Stops the expiry thread, closes every store (all writes are committed already), then the
     * backend.
     */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("KV expiry thread did not stop within 10s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (String id : List.copyOf(open.keySet())) {
            open.computeIfPresent(
                    id,
                    (k, o) -> {
                        try {
                            o.close(StoreClosed.CLOSED);
                        } catch (RuntimeException e) {
                            LOG.warn("closing the KV store of deployment '{}' failed", k, e);
                        }
                        return null;
                    });
        }
        try {
            backend.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the KV backend '{}' failed", backend.name(), e);
        }
        registry.remove(storesGauge);
    }
}
