package dev.vivarium.core.deploy;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.engine.GuestFaults;
import dev.vivarium.core.engine.GuestLimits;
import dev.vivarium.core.engine.GuestLoadException;
import dev.vivarium.core.engine.GuestLoader;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.engine.ModuleCache;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.routing.RouteSpec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Deployments uploaded at run time (the admin API's operations, for Java code that wants its own
 * endpoint or none): each is a module, a route and a lifetime. An upload is checked, then parsed,
 * compiled and instantiated on a bounded executor without holding the registry's lock (at most
 * {@code deployments.maxConcurrentUploads} at once; more get 503), and published through the {@link
 * DeploymentRegistry}; uploading the same id again replaces it (its KV store stays) and restarts
 * its lifetime. When the lifetime ends, or on removal, the route goes away, its running requests
 * are interrupted and the KV store is deleted.
 */
public final class Uploads implements AutoCloseable {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final UploadOptions options;
    private final Duration siteDeadline;
    private final GuestLimits limits;
    private final DeploymentRegistry registry;
    private final UploadRules rules;
    private final Clock clock;
    private final Executor executor;
    private final ExecutorService ownExecutor;
    private final Semaphore permits;
    private final Set<String> inProgress = new HashSet<>();
    private final AtomicInteger compiling = new AtomicInteger();

    /** Uploads with the same module share its compiled classes. */
    private final ModuleCache modules = new ModuleCache();

    private volatile boolean closed;

    /**
     * Restores the kept uploads that have not expired.
     *
     * @param siteDeadline the site's {@code deadline}: the default of {@code
     *     deployments.maxDeadline}
     * @param configured the configured routes, which uploads never take requests from
     * @param executor where uploads are compiled; null for {@code deployments.maxConcurrentUploads}
     *     threads of its own
     */
    public Uploads(
            UploadOptions options,
            Duration siteDeadline,
            GuestLimits limits,
            List<RouteSpec> configured,
            DeploymentRegistry registry,
            Clock clock,
            Executor executor) {
        this.options = Objects.requireNonNull(options, "options");
        this.siteDeadline = Objects.requireNonNull(siteDeadline, "siteDeadline");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.rules = new UploadRules(options, configured);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.permits = new Semaphore(options.maxConcurrentUploads());
        if (executor == null) {
            AtomicInteger n = new AtomicInteger();
            this.ownExecutor =
                    Executors.newFixedThreadPool(
                            options.maxConcurrentUploads(),
                            r -> {
                                Thread t =
                                        new Thread(
                                                r,
                                                "vivarium-upload-compiler-" + n.incrementAndGet());
                                t.setDaemon(true);
                                return t;
                            });
            this.executor = ownExecutor;
        } else {
            this.ownExecutor = null;
            this.executor = executor;
        }
        registry.restore(this::candidate);
    }

    public UploadOptions options() {
        return options;
    }

    /**
     * Uploads (or replaces) deployment {@code id}; see {@link UploadRequest} for the parameters.
     *
     * @throws UploadException saying what was wrong, with the status to answer
     */
    public DeploymentInfo deploy(
            String id,
            String match,
            Duration ttl,
            Duration deadline,
            List<String> outbound,
            byte[] module) {
        return deploy(new UploadRequest(id, match, ttl, deadline, outbound, module)).deployment();
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
    public DeploymentInfo deploy(
            String id,
            String match,
            Duration ttl,
            Duration deadline,
            List<String> outbound,
            Integer maxConcurrent,
            Integer maxQueued,
            byte[] module) {
        return deploy(
                        new UploadRequest(
                                id,
                                match,
                                ttl,
                                deadline,
                                outbound,
                                maxConcurrent,
                                maxQueued,
                                module))
                .deployment();
    }

    /**
     * Uploads (or replaces) a deployment. Nothing changes unless it succeeds: a live version, its
     * lifetime and its KV store stay as they were.
     *
     * @throws UploadException saying what was wrong, with the status to answer
     */
    public UploadResult deploy(UploadRequest r) {
        if (closed) {
            throw new UploadException(503, "the engine is stopping; nothing can be uploaded");
        }
        String id = r.id();
        checkId(id);
        if (registry.isConfigured(id)) {
            throw new UploadException(
                    409,
                    "deployment '" + id + "' is configured in 'routes'; it cannot be uploaded");
        }
        boolean exists = registry.isUploaded(id);
        if (!exists && registry.countUploaded() >= options.max()) {
            throw DeploymentRegistry.tooMany(options.max());
        }
        if (!permits.tryAcquire()) {
            throw new UploadException(
                    503,
                    "already "
                            + options.maxConcurrentUploads()
                            + " uploads being compiled, the most at once"
                            + " (deployments.maxConcurrentUploads); try again in a moment",
                    null,
                    1);
        }
        try {
            claim(id);
            Bundle bundle = null;
            try {
                Instant now = clock.instant();
                byte[] module = r.module();
                BundleManifest manifest = BundleManifest.NONE;
                if (Bundle.isBundle(module)) {
                    bundle = unpack(id, module, now);
                    module = bundle.module();
                    manifest = bundle.manifest();
                }
                Duration lifetime = lifetime(r.ttl() != null ? r.ttl() : manifest.ttl());
                String fileName = id + (isBinary(module) ? ".wasm" : ".wat");
                List<RouteSpec> specs = specs(r, manifest, fileName);
                for (RouteSpec spec : specs) {
                    check(id, spec, specs, options.hostFor(id));
                }
                DeploymentRecord record =
                        new DeploymentRecord(
                                id,
                                String.join("\n", specs.stream().map(RouteSpec::toString).toList()),
                                fileName,
                                module,
                                now,
                                now.plus(lifetime),
                                bundle == null ? null : bundle.directory());
                DeploymentRegistry.Prepared p = compile(record, specs, manifest.kv());
                UploadResult result = registry.publishUpload(p, options.max());
                bundle = null; // kept with the deployment now
                return result;
            } catch (KvUnavailableException e) {
                // a shared KV database that is down: the deployments running go on
                throw new UploadException(
                        503,
                        "cannot create the KV store of deployment "
                                + id
                                + ": "
                                + e.getMessage()
                                + "; try again",
                        e,
                        5);
            } finally {
                if (bundle != null) {
                    Bundle.delete(bundle.directory());
                }
                release(id);
            }
        } finally {
            permits.release();
        }
    }

    /**
     * Unpacks a bundle beside the deployments ({@code deployments.directory/.bundles/ID/}); one
     * without assets keeps nothing on disk.
     */
    private Bundle unpack(String id, byte[] body, Instant now) {
        Path dir =
                FileDeploymentRepository.bundles(options.directory(), id)
                        .resolve(now.toEpochMilli() + "-" + Long.toHexString(System.nanoTime()));
        Bundle b = Bundle.unpack(body, options.bundleLimits(), dir, now);
        if (b.assetCount() > 0 && !registry.keepsAssets()) {
            Bundle.delete(b.directory());
            throw new UploadException(
                    400,
                    "bundle: it has assets, which this server cannot keep: its deployments are kept"
                            + " in "
                            + registry.repositoryDescription()
                            + ", not on one node's disk; upload the module alone (or a bundle"
                            + " without assets/), or keep deployments in files"
                            + " (deployments.store=file)");
        }
        return b;
    }

    /** The lifetime an upload gets: the one asked for, else {@code deployments.defaultTtl}. */
    private Duration lifetime(Duration asked) {
        Duration lifetime = asked == null ? options.defaultTtl() : asked;
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
        return lifetime;
    }

    /**
     * The upload's routes: its {@code route} parameter, else its manifest's {@code route(s)} and
     * {@code hostname}; and with {@code deployments.domain}, {@code ID.DOMAIN/*} too.
     */
    private List<RouteSpec> specs(UploadRequest r, BundleManifest manifest, String fileName) {
        List<String> matches = new ArrayList<>();
        if (r.route() != null) {
            matches.add(r.route());
        } else {
            matches.addAll(manifest.matches());
        }
        String host = options.hostFor(r.id());
        if (host != null && !matches.contains(host + "/*")) {
            matches.add(host + "/*");
        }
        if (matches.isEmpty()) {
            matches.add(null); // the message says what to give
        }
        List<RouteSpec> specs = new ArrayList<>();
        for (String match : matches) {
            specs.add(
                    UploadRules.spec(
                            r.id(),
                            match,
                            fileName,
                            deadline(r.deadline()),
                            r.outbound(),
                            r.maxConcurrent(),
                            r.maxQueued()));
        }
        return specs;
    }

    /**
     * Gives uploaded deployment {@code id} a new lifetime of {@code ttl} from now, at most {@code
     * deployments.maxTtl}: the same module, routes and assets published again with the new expiry
     * (a replacement, so other nodes sharing the repository take it too), its KV store kept.
     *
     * @throws UploadException 404 if there is no uploaded deployment {@code id}, 400 for a bad ttl
     */
    public UploadResult extend(String id, Duration ttl) {
        if (closed) {
            throw new UploadException(503, "the engine is stopping; nothing can be changed");
        }
        DeploymentRecord old = registry.uploadedRecord(id);
        if (old == null) {
            throw new UploadException(404, "no uploaded deployment '" + id + "'");
        }
        if (ttl == null) {
            throw new UploadException(400, "ttl is missing: give one, e.g. ttl=2h");
        }
        Duration lifetime = lifetime(ttl);
        claim(id);
        try {
            DeploymentRecord record =
                    new DeploymentRecord(
                            id,
                            old.route(),
                            old.moduleName(),
                            old.module(),
                            old.deployedAt(),
                            clock.instant().plus(lifetime),
                            old.bundle());
            return registry.publishUpload(
                    compile(record, RouteSpec.parseAll(old.route()), true), options.max());
        } finally {
            release(id);
        }
    }

    /**
     * The deadline an upload gets: the one it asks for, at most {@code deployments.maxDeadline};
     * none: the site's, at most that cap.
     */
    private Duration deadline(Duration asked) {
        Duration cap = options.maxDeadline() != null ? options.maxDeadline() : siteDeadline;
        if (asked == null) {
            return cap.compareTo(siteDeadline) < 0 ? cap : null;
        }
        if (asked.isNegative() || asked.isZero() || asked.compareTo(cap) > 0) {
            throw new UploadException(
                    400,
                    "deadline "
                            + asked.toMillis()
                            + "ms is not between 1 ms and deployments.maxDeadline ("
                            + cap.toMillis()
                            + "ms"
                            + (options.maxDeadline() == null ? ", the site's deadline" : "")
                            + ")");
        }
        return asked;
    }

    /** Whether an upload's route may take requests where it says, beside the live ones. */
    private void check(String id, RouteSpec spec, List<RouteSpec> all, String ownHost) {
        rules.checkAdminPath(spec);
        try {
            registry.checkFits(id, all);
        } catch (ConfigurationException e) {
            throw new UploadException(409, e.getMessage(), e);
        }
        if (!isOwnHost(spec, ownHost)) {
            rules.checkArea(spec);
        }
    }

    /**
     * Whether a route is the upload's {@code ID.DOMAIN/*}: the operator gave that host name to the
     * upload by setting {@code deployments.domain}, so it takes every path there, even those a
     * configured route on any host takes elsewhere (and it lies within deployments.routes by
     * definition).
     */
    private static boolean isOwnHost(RouteSpec spec, String ownHost) {
        return ownHost != null && ownHost.equals(spec.host()) && spec.path().equals("/*");
    }

    /** Parses, compiles and binds on the upload executor; waits for it (uninterruptibly). */
    private DeploymentRegistry.Prepared compile(
            DeploymentRecord record, List<RouteSpec> specs, boolean kv) {
        compiling.incrementAndGet();
        try {
            return CompletableFuture.supplyAsync(() -> prepare(record, specs, kv), executor).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        } finally {
            compiling.decrementAndGet();
        }
    }

    private DeploymentRegistry.Prepared prepare(
            DeploymentRecord record, List<RouteSpec> specs, boolean kv) {
        GuestModule guest = load(record.moduleName(), record.module());
        if (!kv && guest.usesKv()) {
            throw new UploadException(
                    400,
                    "bundle: "
                            + BundleManifest.FILE
                            + " says kv = false, but the module imports the key-value hostcalls;"
                            + " remove kv = false or the module's KV calls");
        }
        try {
            return registry.prepare(List.of(candidate(record, specs, guest))).get(0);
        } catch (ConfigurationException e) {
            // a bad outbound allowlist entry
            throw new UploadException(400, e.getMessage(), e);
        } catch (UploadException e) {
            throw e;
        } catch (RuntimeException e) {
            // e.g. instantiation failed while warming the pool
            throw new UploadException(
                    400,
                    record.moduleName() + ": cannot be instantiated: " + GuestFaults.describe(e),
                    e);
        }
    }

    /** A kept upload as a candidate, checked as when it was uploaded; for the registry. */
    private DeploymentCandidate candidate(DeploymentRecord record) {
        checkId(record.id());
        List<RouteSpec> specs = RouteSpec.parseAll(record.route());
        for (RouteSpec spec : specs) {
            rules.checkAdminPath(spec);
            if (!isOwnHost(spec, options.hostFor(record.id()))) {
                rules.checkArea(spec);
            }
        }
        return candidate(record, specs, load(record.moduleName(), record.module()));
    }

    private static DeploymentCandidate candidate(
            DeploymentRecord record, List<RouteSpec> specs, GuestModule guest) {
        return new DeploymentCandidate(
                record.id(),
                DeploymentCandidate.Source.UPLOAD,
                specs.stream().map(spec -> new DeploymentCandidate.Binding(spec, guest)).toList(),
                record.deployedAt(),
                record.expiresAt(),
                record.module().length,
                record,
                record.bundle() == null ? null : Assets.open(record.bundle()));
    }

    private synchronized void claim(String id) {
        if (!inProgress.add(id)) {
            throw new UploadException(
                    409,
                    "deployment '"
                            + id
                            + "' is being uploaded by another request; try again when it is done");
        }
    }

    private synchronized void release(String id) {
        inProgress.remove(id);
    }

    /**
     * Removes an uploaded deployment now, with its KV store; its running requests are interrupted
     * (they answer 503).
     *
     * @return false if there is no uploaded deployment {@code id}
     */
    public boolean remove(String id) {
        return registry.remove(id, "removed");
    }

    /** The uploaded deployments, oldest first. */
    public List<DeploymentInfo> list() {
        return registry.uploaded();
    }

    /** How many deployments are uploaded now. */
    public int count() {
        return registry.countUploaded();
    }

    /** The compiled modules the uploaded deployments share, by content. */
    public ModuleCache modules() {
        return modules;
    }

    /** How many uploads are being parsed and compiled now. */
    public int compiling() {
        return compiling.get();
    }

    /** One uploaded deployment, or null. */
    public DeploymentInfo get(String id) {
        return registry.uploaded(id);
    }

    /** The routes of the uploaded deployments. */
    public List<Route> routes() {
        return registry.routes(DeploymentCandidate.Source.UPLOAD);
    }

    /**
     * Removes the deployments whose lifetime ended, as of the clock's now (see {@link
     * DeploymentRegistry#expire}).
     *
     * @return the ids removed
     */
    public List<String> expire() {
        return registry.expire();
    }

    /** Refuses further uploads; the registry releases the live ones, files stay. */
    @Override
    public void close() {
        closed = true;
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
    }

    static void checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new UploadException(
                    400,
                    "deployment id '"
                            + id
                            + "' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a"
                            + " letter or digit");
        }
    }

    /** Loads and compiles an uploaded module; a bad one is a 400 with the loader's message. */
    private GuestModule load(String fileName, byte[] module) {
        try {
            return modules.load(
                    fileName, module, limits, () -> GuestLoader.load(fileName, module, limits));
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
}
