package dev.vivarium.core.deploy;

import dev.vivarium.core.BackgroundTasks;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.RouteSpec;
import dev.vivarium.core.engine.GuestFaults;
import dev.vivarium.core.engine.GuestLimits;
import dev.vivarium.core.engine.GuestLoadException;
import dev.vivarium.core.engine.GuestLoader;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deployments uploaded at run time: each is a module, a route and a lifetime. An upload is loaded
 * and compiled like a configured guest, gets its own instance pool and (if its guest uses it) its
 * own KV store, and takes requests as soon as it is published; uploading the same id again replaces
 * it (its KV store stays) and restarts its lifetime. When the lifetime ends, or on removal, the
 * route goes away and the KV store is deleted.
 *
 * <p>Uploads are kept in {@code deployments.directory} (the module and a small properties file) and
 * come back after a restart until they expire. Changes are serialized; requests read the published
 * route table without locking.
 */
public final class Uploads implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.deployments");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String META = ".deployment";

    /** What the engine does for uploads: live routes from guests, and the route table. */
    public interface Engine {
        /** Checks that these uploaded routes fit beside the configured ones. */
        void check(List<RouteSpec> uploaded);

        /** A live route (pool warmed, meters registered) for a loaded guest. */
        Route bind(RouteSpec spec, GuestModule guest, KvStore kv);

        /** Makes exactly these uploaded routes (plus the configured ones) take requests. */
        void publish(List<Route> uploaded);

        /** Releases a route that no longer takes requests (its pool, its meters). */
        void retire(Route route);
    }

    private record Uploaded(Route route, Instant deployedAt, Instant expiresAt, long moduleBytes) {
        DeploymentInfo info() {
            return new DeploymentInfo(
                    route.deployment().id(),
                    route.spec().toString(),
                    true,
                    deployedAt,
                    expiresAt,
                    moduleBytes,
                    route.deployment().kv() != null);
        }
    }

    private final UploadOptions options;
    private final GuestLimits limits;
    private final Set<String> configuredIds;
    private final KvStores kv;
    private final Clock clock;
    private final Engine engine;
    private final Map<String, Uploaded> byId = new LinkedHashMap<>();
    private final ScheduledExecutorService expiry;
    private boolean closed;

    /**
     * Restores the uploads kept in the directory that have not expired, and starts the expiry check
     * (once a second).
     */
    public Uploads(
            UploadOptions options,
            GuestLimits limits,
            Set<String> configuredIds,
            KvStores kv,
            Clock clock,
            Engine engine) {
        this.options = Objects.requireNonNull(options, "options");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.configuredIds = Set.copyOf(configuredIds);
        this.kv = Objects.requireNonNull(kv, "kv");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.engine = Objects.requireNonNull(engine, "engine");
        restore();
        // the store and the deployment end together: whichever expiry runs first removes both
        kv.onExpired(this::storeExpired);
        this.expiry =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "vivarium-deployments-expiry");
                            t.setDaemon(true);
                            return t;
                        });
        expiry.scheduleWithFixedDelay(
                BackgroundTasks.surviving(LOG, "expiring uploaded deployments", this::expire),
                1,
                1,
                TimeUnit.SECONDS);
    }

    public UploadOptions options() {
        return options;
    }

    /**
     * Uploads (or replaces) deployment {@code id}.
     *
     * @param match the route's MATCH, e.g. {@code /try/*} or {@code demo.example.com/*}
     * @param ttl its lifetime from now; null for {@code deployments.defaultTtl}
     * @param deadline its guest's deadline; null for the engine's
     * @param outbound where its guest may send requests (allowlist entries)
     * @param module a {@code .wasm} module, or WebAssembly text
     * @throws UploadException saying what was wrong, with the status to answer
     */
    public DeploymentInfo deploy(
            String id,
            String match,
            Duration ttl,
            Duration deadline,
            List<String> outbound,
            byte[] module) {
        return deploy(id, match, ttl, deadline, outbound, null, null, module);
    }

    /**
     * As {@link #deploy(String, String, Duration, Duration, List, byte[])}, with the deployment's
     * own admission limits.
     *
     * @param maxConcurrent its requests running at once; null for the engine's {@code
     *     maxConcurrent}
     * @param maxQueued its requests waiting for an instance; null for the engine's {@code
     *     maxQueued}
     */
    public synchronized DeploymentInfo deploy(
            String id,
            String match,
            Duration ttl,
            Duration deadline,
            List<String> outbound,
            Integer maxConcurrent,
            Integer maxQueued,
            byte[] module) {
        if (closed) {
            throw new UploadException(503, "the engine is stopping; nothing can be uploaded");
        }
        checkId(id);
        if (configuredIds.contains(id)) {
            throw new UploadException(
                    409,
                    "deployment '" + id + "' is configured in 'routes'; it cannot be uploaded");
        }
        if (!byId.containsKey(id) && byId.size() >= options.max()) {
            throw new UploadException(
                    409,
                    "already "
                            + byId.size()
                            + " uploaded deployments, the most allowed (deployments.max)");
        }
        Duration lifetime = ttl == null ? options.defaultTtl() : ttl;
        if (lifetime.isNegative()
                || lifetime.isZero()
                || lifetime.compareTo(options.maxTtl()) > 0) {
            throw new UploadException(
                    400,
                    "ttl "
                            + lifetime
                            + " is not between 1 ms and deployments.maxTtl ("
                            + options.maxTtl()
                            + ")");
        }
        String fileName = id + (isBinary(module) ? ".wasm" : ".wat");
        RouteSpec spec = spec(id, match, fileName, deadline, outbound, maxConcurrent, maxQueued);
        List<RouteSpec> specs = new ArrayList<>();
        byId.forEach((other, u) -> specs.add(other.equals(id) ? spec : u.route().spec()));
        if (!byId.containsKey(id)) {
            specs.add(spec);
        }
        try {
            engine.check(specs);
        } catch (ConfigurationException e) {
            throw new UploadException(409, e.getMessage(), e);
        }
        GuestModule guest = load(fileName, module);
        Instant now = clock.instant();
        Instant expiresAt = now.plus(lifetime);
        // a failed upload must not leave a store behind, nor touch one that was there
        boolean newStore = !kv.deployments().contains(id);
        Route route;
        try {
            route = engine.bind(spec, guest, store(id, guest, newStore, lifetime));
        } catch (RuntimeException e) {
            if (newStore) {
                kv.delete(id);
            }
            if (e instanceof ConfigurationException) {
                // a bad outbound allowlist entry
                throw new UploadException(400, e.getMessage(), e);
            }
            // e.g. instantiation failed while warming the pool
            throw new UploadException(
                    400, fileName + ": cannot be instantiated: " + GuestFaults.describe(e), e);
        }
        try {
            write(id, fileName, module, spec, now, expiresAt);
        } catch (IOException | UncheckedIOException e) {
            engine.retire(route);
            if (newStore) {
                kv.delete(id);
            }
            throw new UploadException(
                    500, "cannot keep the upload in " + dir() + ": " + e.getMessage(), e);
        }
        if (!newStore) {
            // only now that nothing can refuse the upload: the store ends with this version
            kv.expireAfter(id, lifetime);
        }
        Uploaded u = new Uploaded(route, now, expiresAt, module.length);
        Uploaded old = byId.put(id, u);
        engine.publish(routes());
        if (old != null) {
            engine.retire(old.route());
        }
        LOG.info(
                "{} deployment {}: {} ({} bytes), expires {}",
                old == null ? "uploaded" : "replaced",
                id,
                spec,
                module.length,
                expiresAt);
        return u.info();
    }

    /**
     * Removes an uploaded deployment now, with its KV store.
     *
     * @return false if there is no uploaded deployment {@code id}
     */
    public synchronized boolean remove(String id) {
        return remove(id, "removed");
    }

    /** The uploaded deployments, oldest first. */
    public synchronized List<DeploymentInfo> list() {
        return byId.values().stream().map(Uploaded::info).toList();
    }

    /** How many deployments are uploaded now. */
    public synchronized int count() {
        return byId.size();
    }

    /** One uploaded deployment, or null. */
    public synchronized DeploymentInfo get(String id) {
        Uploaded u = byId.get(id);
        return u == null ? null : u.info();
    }

    /** The routes of the uploaded deployments. */
    public synchronized List<Route> routes() {
        return byId.values().stream().map(Uploaded::route).toList();
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
        byId.forEach(
                (id, u) -> {
                    if (!now.isBefore(u.expiresAt())) {
                        due.add(id);
                    }
                });
        due.forEach(id -> remove(id, "expired"));
        return due;
    }

    /** Stops the expiry check and releases every upload's pool; files stay for the next start. */
    @Override
    public synchronized void close() {
        closed = true;
        expiry.shutdownNow();
        byId.values().forEach(u -> engine.retire(u.route()));
        byId.clear();
    }

    // --- internals ----------------------------------------------------------------------------

    /** The KV store of {@code id} ended its lifetime: so did the deployment, if it is uploaded. */
    private synchronized void storeExpired(String id) {
        Uploaded u = byId.get(id);
        if (u != null && !clock.instant().isBefore(u.expiresAt())) {
            remove(id, "expired");
        }
    }

    private boolean remove(String id, String why) {
        Uploaded u = byId.remove(id);
        if (u == null) {
            return false;
        }
        engine.publish(routes());
        engine.retire(u.route());
        deleteFiles(id);
        kv.deleteWithDeployment(id);
        LOG.info("{} deployment {} ({}) and its KV store", why, id, u.route().spec());
        return true;
    }

    private static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new UploadException(
                    400,
                    "deployment id '"
                            + id
                            + "' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a"
                            + " letter or digit");
        }
    }

    /**
     * Loads and compiles an uploaded module; a bad one is a 400 with the loader's message, one past
     * a {@link GuestLimits} setting a 413.
     */
    private GuestModule load(String fileName, byte[] module) {
        try {
            return GuestLoader.load(fileName, module, limits);
        } catch (GuestLoadException e) {
            throw new UploadException(e.tooLarge() ? 413 : 400, e.getMessage(), e);
        }
    }

    private static boolean isBinary(byte[] module) {
        return module.length >= 4
                && module[0] == 0
                && module[1] == 'a'
                && module[2] == 's'
                && module[3] == 'm';
    }

    private static RouteSpec spec(
            String id,
            String match,
            String fileName,
            Duration deadline,
            List<String> outbound,
            Integer maxConcurrent,
            Integer maxQueued) {
        if (match == null || match.isBlank()) {
            throw new UploadException(
                    400,
                    "the route's MATCH is missing, e.g. route=/try/* or route=demo.example.com/*");
        }
        // the spec is written as a route entry: nothing may add entries or parameters to it
        if (match.contains(";") || match.contains(",") || match.contains("->")) {
            throw new UploadException(400, "route MATCH '" + match + "' is not one MATCH");
        }
        for (String o : outbound) {
            if (o.contains(";") || o.contains(",")) {
                throw new UploadException(400, "outbound entry '" + o + "' is not one entry");
            }
        }
        StringBuilder entry =
                new StringBuilder(match.strip())
                        .append(" -> ")
                        .append(fileName)
                        .append("; id=")
                        .append(id);
        if (deadline != null) {
            entry.append("; deadline=").append(deadline.toMillis()).append("ms");
        }
        if (!outbound.isEmpty()) {
            entry.append("; outbound=").append(String.join(" ", outbound));
        }
        if (maxConcurrent != null) {
            entry.append("; maxConcurrent=").append(maxConcurrent);
        }
        if (maxQueued != null) {
            entry.append("; maxQueued=").append(maxQueued);
        }
        try {
            return RouteSpec.parse(entry.toString(), "the upload's parameters");
        } catch (ConfigurationException e) {
            throw new UploadException(400, e.getMessage(), e);
        }
    }

    /**
     * The deployment's store when its guest uses one. A new store gets the deployment's lifetime
     * now; an existing one (which an earlier version may have used even if this one does not) is
     * given it by the caller once nothing can refuse the deployment.
     */
    private KvStore store(String id, GuestModule guest, boolean newStore, Duration lifetime) {
        if (!guest.usesKv()) {
            return null;
        }
        return newStore ? kv.create(id, lifetime) : kv.store(id);
    }

    private Path dir() {
        return options.directory();
    }

    private void write(
            String id,
            String fileName,
            byte[] module,
            RouteSpec spec,
            Instant deployedAt,
            Instant expiresAt)
            throws IOException {
        Files.createDirectories(dir());
        atomicWrite(dir().resolve(fileName), module);
        Properties p = new Properties();
        p.setProperty("route", spec.toString());
        p.setProperty("module", fileName);
        p.setProperty("deployedAt", deployedAt.toString());
        p.setProperty("expiresAt", expiresAt.toString());
        StringWriter w = new StringWriter();
        p.store(w, "Vivarium uploaded deployment " + id);
        atomicWrite(dir().resolve(id + META), w.toString().getBytes(StandardCharsets.UTF_8));
        // the previous version's module, if it was in the other format
        String other = fileName.endsWith(".wasm") ? id + ".wat" : id + ".wasm";
        Files.deleteIfExists(dir().resolve(other));
    }

    private static void atomicWrite(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void deleteFiles(String id) {
        try {
            Files.deleteIfExists(dir().resolve(id + META));
            deleteModules(id);
        } catch (IOException e) {
            LOG.warn("cannot delete the files of deployment {} in {}: {}", id, dir(), e.toString());
        }
    }

    private void deleteModules(String id) throws IOException {
        Files.deleteIfExists(dir().resolve(id + ".wasm"));
        Files.deleteIfExists(dir().resolve(id + ".wat"));
    }

    /** Brings back the uploads kept in the directory; expired ones are deleted with their store. */
    private void restore() {
        if (!Files.isDirectory(dir())) {
            return;
        }
        List<Path> metas = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(), "*" + META)) {
            ds.forEach(metas::add);
        } catch (IOException e) {
            throw new ConfigurationException(
                    "Vivarium setting 'deployments.directory': cannot read " + dir() + ": " + e, e);
        }
        metas.sort(Comparator.naturalOrder());
        Instant now = clock.instant();
        for (Path meta : metas) {
            String name = meta.getFileName().toString();
            String id = name.substring(0, name.length() - META.length());
            try {
                restore(id, meta, now);
            } catch (IOException | RuntimeException e) {
                LOG.warn(
                        "uploaded deployment {} ({}) not restored: {}; its files stay",
                        id,
                        meta,
                        e.getMessage());
            }
        }
        if (!byId.isEmpty()) {
            engine.publish(routes());
        }
    }

    private void restore(String id, Path meta, Instant now) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        checkId(id);
        if (configuredIds.contains(id)) {
            // the configured deployment owns the id now, and with it the KV store
            deleteFiles(id);
            LOG.warn(
                    "uploaded deployment {} dropped: its id is now configured in 'routes', whose"
                            + " deployment keeps the KV store",
                    id);
            return;
        }
        Instant expiresAt = Instant.parse(Objects.requireNonNull(p.getProperty("expiresAt")));
        if (!now.isBefore(expiresAt)) {
            deleteFiles(id);
            kv.deleteWithDeployment(id);
            LOG.info("deployment {} expired while the server was down; deleted", id);
            return;
        }
        RouteSpec spec = RouteSpec.parse(Objects.requireNonNull(p.getProperty("route")));
        String fileName = Objects.requireNonNull(p.getProperty("module"));
        byte[] module = Files.readAllBytes(dir().resolve(fileName));
        List<RouteSpec> specs = new ArrayList<>(routes().stream().map(Route::spec).toList());
        specs.add(spec);
        engine.check(specs);
        GuestModule guest = load(fileName, module);
        Duration left = Duration.between(now, expiresAt);
        boolean newStore = !kv.deployments().contains(id);
        Route route = engine.bind(spec, guest, store(id, guest, newStore, left));
        if (!newStore) {
            kv.expireAfter(id, left);
        }
        byId.put(
                id,
                new Uploaded(
                        route,
                        Instant.parse(p.getProperty("deployedAt", now.toString())),
                        expiresAt,
                        module.length));
        LOG.info("restored uploaded deployment {}: {}, expires {}", id, spec, expiresAt);
    }
}
