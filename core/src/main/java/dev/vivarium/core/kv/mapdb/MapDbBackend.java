package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvBackend;
import dev.vivarium.core.kv.KvBackendContext;
import dev.vivarium.core.kv.KvBackendProvider;
import dev.vivarium.core.kv.KvBackendStore;
import dev.vivarium.core.kv.KvHealth;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The embedded backend ({@code kv.backend=mapdb}, the default): one MapDB file per deployment under
 * {@code kv.directory}, for one node.
 *
 * <p><b>Durability.</b> With {@code kv.durability=sync} (the default) a write is acknowledged only
 * once a commit covering it is on disk: the commit appends its batch to the store's {@link Journal}
 * and syncs it (one {@code fdatasync}, about 0.1 ms on an SSD); now and then a checkpoint puts the
 * journaled writes into MapDB in one MapDB commit (its own write-ahead log, a few syncs) and
 * empties the journal. Killing the process at any moment loses no acknowledged write and leaves no
 * half-done one; the next open replays MapDB's log, then the journal. A commit is shared by every
 * write applied before it ({@link GroupCommit}, {@link WriteBuffer}), and a request waits for its
 * writes after its guest has run ({@link dev.vivarium.core.kv.PendingWrites}), so the writes of all
 * requests in flight share a commit. With {@code kv.durability=interval} writes are acknowledged
 * once applied and {@link BackgroundCommits} commits every {@code kv.syncInterval}; a crash loses
 * at most the writes of the last two intervals (see {@link
 * dev.vivarium.core.kv.KvOptions.Durability}). Reads do not wait for commits (memory reads, about a
 * microsecond) and may see a write that is still being committed.
 *
 * <p>Writes, commits and opening run on {@link WriterThreads}, never interrupted; a lock file keeps
 * each store to one engine ({@link StoreLock}). Layout in {@link StoreFiles}.
 */
public final class MapDbBackend implements KvBackend {
    /** The {@code kv.backend} value. */
    public static final String NAME = "mapdb";

    private final KvOptions options;
    private final StoreFiles files;
    private final WriterThreads writers = new WriterThreads();
    private final BackgroundCommits background;

    private MapDbBackend(KvOptions options, Duration checkpointAge) {
        this.options = options;
        this.files = new StoreFiles(options.directory());
        this.background =
                new BackgroundCommits(
                        options.durability() == KvOptions.Durability.INTERVAL
                                ? options.syncInterval()
                                : BackgroundCommits.CHECKPOINT_PERIOD,
                        checkpointAge);
    }

    /**
     * The backend over {@code options.directory()}, created with the first store (an engine whose
     * guests use no KV leaves none).
     *
     * @throws ConfigurationException if {@code kv.directory} names a file
     */
    public static MapDbBackend open(KvOptions options) {
        return open(options, BackgroundCommits.CHECKPOINT_AGE);
    }

    /** {@link #open(KvOptions)} with another checkpoint age (tests: a crash before one). */
    static MapDbBackend open(KvOptions options, Duration checkpointAge) {
        Objects.requireNonNull(options, "options");
        if (Files.exists(options.directory()) && !Files.isDirectory(options.directory())) {
            throw new ConfigurationException(
                    "Vivarium setting 'kv.directory': "
                            + options.directory().toAbsolutePath()
                            + " is not a directory");
        }
        return new MapDbBackend(options, checkpointAge);
    }

    /** Found by {@link dev.vivarium.core.kv.KvBackends} through {@code META-INF/services}. */
    public static final class Provider implements KvBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public KvBackend open(KvBackendContext context) {
            return MapDbBackend.open(context.options());
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public KvBackendStore open(String deploymentId) {
        return MapDbOpener.open(
                deploymentId, files.directory(deploymentId), writers, background, options);
    }

    @Override
    public boolean exists(String deploymentId) {
        return files.exists(deploymentId);
    }

    @Override
    public List<String> list() {
        return files.ids();
    }

    /**
     * Deletes a store's files, holding its {@link StoreLock} while it does: refused if another
     * engine (or process) has the store open. Nothing else about the files matters, so a store
     * whose files are corrupt can be deleted.
     */
    @Override
    public void delete(String deploymentId) {
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

    @Override
    public long lifetimeEnd(String deploymentId) {
        return files.lifetimeEnd(deploymentId);
    }

    @Override
    public void lifetimeEnd(String deploymentId, long epochMillis) {
        if (epochMillis == 0) {
            files.clearLifetimeEnd(deploymentId);
        } else {
            files.writeLifetimeEnd(deploymentId, epochMillis);
        }
    }

    /** Up when {@code kv.directory} is a writable directory, or can be created (no store yet). */
    @Override
    public KvHealth health() {
        Path dir = options.directory().toAbsolutePath();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing)) {
            return KvHealth.down("kv.directory " + dir + " is not a directory");
        }
        if (!Files.isWritable(existing)) {
            return KvHealth.down("kv.directory " + dir + " is not writable");
        }
        return KvHealth.up("kv.directory " + dir);
    }

    /** Lets the writer threads end; the stores are closed already. */
    @Override
    public void close() {
        background.close();
        writers.close();
    }

    @Override
    public String toString() {
        return "MapDbBackend[" + options.directory() + "]";
    }
}
