package dev.vivarium.core.kv;

import dev.vivarium.core.config.ConfigurationException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The key-value stores of all deployments: one MapDB file per deployment under {@code
 * kv.directory}, created empty on first use and reopened with the same data after a restart. A
 * deployment reaches only the store {@link #store} handed it, so no key a guest passes can reach
 * another deployment's data.
 *
 * <p><b>Durability.</b> A write returns only once a commit covering it is on disk: MapDB puts it in
 * the store's write-ahead log, syncs the log ({@code fsync}), applies it to the store file and
 * syncs that. Killing the process at any moment loses no acknowledged write and leaves no half-done
 * one; the next open replays the log. The cost is a few fsyncs per commit (about 4 ms on a cloud VM
 * disk), so a single writer does a few hundred durable writes per second per store; concurrent
 * writers of one store share a commit ({@link KvOptions#groupCommit() group commit}). Reads do not
 * wait for commits (they are memory reads of the mapped file, about a microsecond) and may see a
 * write that is still being committed.
 *
 * <p><b>Expiry.</b> A store may be given a lifetime ({@link #create(String, Duration)}, {@link
 * #expireAfter}); when it ends the store and its files are deleted and {@link #onExpired} listeners
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
    private final Clock clock;
    private final MeterRegistry registry;
    private final StoreFiles files;
    private final WriterThreads writers = new WriterThreads();
    private final ConcurrentHashMap<String, Open> open = new ConcurrentHashMap<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final Meter storesGauge;
    private volatile boolean closed;

    private record Open(MapDbKvStore store, StoreMeters meters) {}

    /** What one {@link #runExpiry()} did: stores deleted (lifetime ended), keys purged. */
    public record ExpiryRun(List<String> deletedStores, long purgedKeys) {}

    private KvStores(KvOptions options, Clock clock, MeterRegistry registry) {
        this.options = options;
        this.clock = clock;
        this.registry = registry;
        this.files = new StoreFiles(options.directory());
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
        scheduler.scheduleWithFixedDelay(
                this::runExpiryLogged, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens the stores under {@code options.directory()} (created with the first store) and starts
     * the expiry thread.
     *
     * @throws ConfigurationException if {@code kv.directory} names a file
     */
    public static KvStores open(KvOptions options, Clock clock, MeterRegistry registry) {
        Objects.requireNonNull(options, "options");
        // the directory is created with the first store, so an engine without KV users leaves none
        if (Files.exists(options.directory()) && !Files.isDirectory(options.directory())) {
            throw new ConfigurationException(
                    "Vivarium setting 'kv.directory': "
                            + options.directory().toAbsolutePath()
                            + " is not a directory");
        }
        return new KvStores(
                options,
                Objects.requireNonNull(clock, "clock"),
                Objects.requireNonNull(registry, "registry"));
    }

    public KvOptions options() {
        return options;
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
        MapDbKvStore s =
                open.compute(
                                deploymentId,
                                (id, cur) -> {
                                    Open o = usable(cur) ? cur : reopen(id, cur);
                                    if (o.store.lifetimeEnd() != 0) {
                                        files.clearLifetimeEnd(id);
                                        o.store.lifetimeEnd(0);
                                    }
                                    return o;
                                })
                        .store;
        return new StoreHandle(this, deploymentId, s);
    }

    /** {@link #store} for a deployment that lives {@code lifetime}, counted from now. */
    public KvStore create(String deploymentId, Duration lifetime) {
        MapDbKvStore s = setLifetime(deploymentId, lifetime);
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

    /** Every deployment with a store, open or on disk, sorted. */
    public List<String> deployments() {
        TreeSet<String> ids = new TreeSet<>(open.keySet());
        ids.addAll(files.ids());
        return List.copyOf(ids);
    }

    /** Up to {@code limit} live keys of a deployment's store, sorted. */
    public List<String> keys(String deploymentId, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + limit);
        }
        List<String> keys = new ArrayList<>(existing(deploymentId).keys(limit));
        keys.sort(null);
        return keys;
    }

    /** A value as the deployment would read it, or null. */
    public byte[] get(String deploymentId, String key) {
        return existing(deploymentId).get(key);
    }

    /** Deletes every key of a deployment's store; the store stays. */
    public void clear(String deploymentId) {
        existing(deploymentId).clear();
    }

    /**
     * Deletes a deployment's store and its files. The deployment's next operation starts a new,
     * empty store.
     *
     * @throws KvUnavailableException if another engine has the store open (nothing is deleted)
     * @return whether there was a store
     */
    public boolean delete(String deploymentId) {
        return delete(deploymentId, MapDbKvStore.Closed.DELETED);
    }

    private boolean delete(String deploymentId, MapDbKvStore.Closed reason) {
        boolean[] existed = {false};
        open.compute(
                deploymentId,
                (id, o) -> {
                    existed[0] = o != null || files.exists(id);
                    if (o != null) {
                        closeOpen(o, reason);
                    }
                    deleteFiles(id);
                    return null;
                });
        return existed[0];
    }

    /**
     * Deletes the store of a deployment that is gone (removed, or its lifetime ended) and its
     * files. Unlike {@link #delete}, operations still running on it (a request that was routed
     * before the deployment went away) fail instead of starting a new store; a later deployment
     * with the same id starts a new, empty one.
     *
     * @return whether there was a store
     */
    public boolean deleteWithDeployment(String deploymentId) {
        return delete(deploymentId, MapDbKvStore.Closed.REMOVED);
    }

    /** Sizes and operation counts of a deployment's store. */
    public KvStats stats(String deploymentId) {
        MapDbKvStore s = existing(deploymentId);
        StoreCounters c = s.counters;
        long end = s.lifetimeEnd();
        return new KvStats(
                deploymentId,
                s.keyCount(),
                s.byteCount(),
                end == 0 ? null : Instant.ofEpochMilli(end),
                c.gets.sum(),
                c.hits.sum(),
                c.misses.sum(),
                c.inserts.sum(),
                c.upserts.sum(),
                c.appends.sum(),
                c.removes.sum(),
                s.commitCount(),
                c.purged.sum());
    }

    /**
     * Deletes the stores whose lifetime ended (telling the {@link #onExpired} listeners) and the
     * expired keys of the others, as of the clock's now. The expiry thread calls this every {@code
     * kv.purgeInterval}; tests call it directly.
     */
    public ExpiryRun runExpiry() {
        long now = clock.millis();
        TreeSet<String> ids = new TreeSet<>(open.keySet());
        ids.addAll(files.ids());
        List<String> deleted = new ArrayList<>();
        long purged = 0;
        for (String id : ids) {
            try {
                if (expireIfEnded(id, now)) {
                    deleted.add(id);
                } else {
                    Open o = open.get(id);
                    if (o != null) {
                        purged += o.store.purgeExpired(now);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("KV expiry of deployment '{}' failed: {}", id, e.toString());
            }
        }
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
        return new ExpiryRun(List.copyOf(deleted), purged);
    }

    private void runExpiryLogged() {
        try {
            runExpiry();
        } catch (RuntimeException e) {
            LOG.warn("KV expiry run failed", e);
        }
    }

    private boolean expireIfEnded(String deploymentId, long now) {
        boolean[] expired = {false};
        open.compute(
                deploymentId,
                (id, o) -> {
                    long end = o != null ? o.store.lifetimeEnd() : files.lifetimeEnd(id);
                    if (end == 0 || now < end) {
                        return o;
                    }
                    if (o != null) {
                        closeOpen(o, MapDbKvStore.Closed.EXPIRED);
                    }
                    deleteFiles(id);
                    expired[0] = true;
                    return null;
                });
        return expired[0];
    }

    // --- opening --------------------------------------------------------------------------------

    /** The open store of a deployment, opening or creating it. */
    MapDbKvStore live(String deploymentId) {
        Open o = open.get(deploymentId);
        if (usable(o)) {
            return o.store;
        }
        return open.compute(deploymentId, (id, cur) -> usable(cur) ? cur : reopen(id, cur)).store;
    }

    /** The store of a deployment that has one (open or on disk). */
    private MapDbKvStore existing(String deploymentId) {
        Open o = open.get(deploymentId);
        if (o == null || o.store.closedReason() != null) {
            if (!files.exists(deploymentId)) {
                throw new IllegalArgumentException(
                        "no KV store for deployment '"
                                + deploymentId
                                + "'; stores: "
                                + deployments());
            }
        }
        return live(deploymentId);
    }

    private MapDbKvStore setLifetime(String deploymentId, Duration lifetime) {
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("a store lifetime must be positive: " + lifetime);
        }
        long now = clock.millis();
        long end =
                lifetime.compareTo(Duration.ofMillis(Long.MAX_VALUE - now)) >= 0
                        ? Long.MAX_VALUE
                        : now + lifetime.toMillis();
        return open.compute(
                        deploymentId,
                        (id, cur) -> {
                            Open o = usable(cur) ? cur : reopen(id, cur);
                            files.writeLifetimeEnd(id, end);
                            o.store.lifetimeEnd(end);
                            return o;
                        })
                .store;
    }

    /**
     * Deletes a store's files, holding its {@link StoreLock} while it does: refused if another
     * engine (or process) has the store open. Nothing else about the files matters, so a store
     * whose files are corrupt can be deleted.
     */
    private void deleteFiles(String deploymentId) {
        Path dir = files.directory(deploymentId);
        if (!Files.isDirectory(dir)) {
            return;
        }
        StoreLock lock;
        try {
            lock = StoreLock.take(dir);
        } catch (IOException e) {
            throw new KvUnavailableException(
                    "cannot tell whether the KV store of deployment '"
                            + deploymentId
                            + "' in "
                            + dir
                            + " is in use: "
                            + e,
                    e);
        }
        if (lock == null) {
            throw new KvUnavailableException(
                    "the KV store of deployment '"
                            + deploymentId
                            + "' in "
                            + dir
                            + " is in use elsewhere",
                    new StoreLock.InUse());
        }
        try {
            files.delete(deploymentId);
        } finally {
            lock.release();
        }
    }

    private static boolean usable(Open o) {
        return o != null && o.store.closedReason() == null && !o.store.failed();
    }

    /**
     * Opens a store whose open instance is missing, closed or failed; a failed one is closed first
     * (it still holds the file) and the store comes back as its last commit left it.
     */
    private Open reopen(String deploymentId, Open cur) {
        if (cur != null && cur.store.closedReason() == null) {
            LOG.warn("KV store of deployment '{}' failed; opening it again", deploymentId);
            closeOpen(cur, MapDbKvStore.Closed.FAILED);
        }
        return openStore(deploymentId);
    }

    /** Opens a store; one whose lifetime already ended is deleted first and starts empty. */
    private Open openStore(String deploymentId) {
        if (closed) {
            throw new KvUnavailableException("the KV stores are closed (the engine is stopping)");
        }
        long end = files.lifetimeEnd(deploymentId);
        if (end != 0 && clock.millis() >= end) {
            deleteFiles(deploymentId);
            end = 0;
        }
        MapDbKvStore s =
                MapDbOpener.open(
                        deploymentId, files.directory(deploymentId), end, writers, options, clock);
        return new Open(s, new StoreMeters(registry, s));
    }

    private static void closeOpen(Open o, MapDbKvStore.Closed reason) {
        o.meters.remove();
        o.store.close(reason);
    }

    /** Stops the expiry thread and closes every store (all writes are committed already). */
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
                            closeOpen(o, MapDbKvStore.Closed.CLOSED);
                        } catch (RuntimeException e) {
                            LOG.warn("closing the KV store of deployment '{}' failed", k, e);
                        }
                        return null;
                    });
        }
        writers.close();
        registry.remove(storesGauge);
    }
}
