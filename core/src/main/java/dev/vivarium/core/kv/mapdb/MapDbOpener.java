package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.kv.StoreClosed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mapdb.DB;
import org.mapdb.DBMaker;

/**
 * Opens a deployment's MapDB file the one way Vivarium uses it, on a writer thread (opening maps
 * the file through a channel an interrupt would close).
 *
 * <ul>
 *   <li>{@code transactionEnable}: writes go to a write-ahead log first; a commit syncs it, so a
 *       crash at any moment leaves the last commit (replayed on open) and nothing half-written.
 *       MapDB commits only at checkpoints; what was committed since is in the store's {@link
 *       Journal}, replayed after MapDB's log;
 *   <li>{@code fileMmapEnable}: reads are memory reads, about 30 times faster than MapDB's default
 *       {@code RandomAccessFile} reads (which read a long byte by byte), and need no file channel.
 *       Not {@code fileMmapEnableIfSupported}: in 3.1.0 that still reads through {@code
 *       RandomAccessFile};
 *   <li>{@code cleanerHackEnable}: unmaps on close, so a deleted store frees its disk space at
 *       once. Safe because a store is closed only once no operation is inside it;
 *   <li>{@code fileLockDisable}: a {@link StoreLock} (a lock file in the store's directory, held
 *       while the store is open) keeps two engines out of one store instead, because MapDB does not
 *       release its own lock when opening a file it cannot read fails.
 * </ul>
 */
final class MapDbOpener {
    private MapDbOpener() {}

    /** Opens the store in {@code dir}, creating it empty if it is not there. */
    static MapDbKvStore open(
            String id,
            Path dir,
            WriterThreads writers,
            BackgroundCommits background,
            KvOptions options) {
        // a caller interrupted while it opens would leave the file open and locked
        return writers.call(
                () -> openNow(id, dir, writers, background, options),
                store -> store.close(StoreClosed.CLOSED));
    }

    private static MapDbKvStore openNow(
            String id,
            Path dir,
            WriterThreads writers,
            BackgroundCommits background,
            KvOptions options) {
        StoreLock lock;
        try {
            Files.createDirectories(dir);
            lock = StoreLock.take(dir);
        } catch (IOException | RuntimeException e) {
            throw new KvUnavailableException(
                    "cannot open the KV store of deployment '" + id + "' in " + dir + ": " + e, e);
        }
        if (lock == null) {
            throw new KvUnavailableException(
                    "the KV store of deployment '" + id + "' in " + dir + " is in use elsewhere",
                    new StoreLock.InUse());
        }
        DB db;
        try {
            // our lock, not MapDB's: MapDB keeps its lock when opening a corrupt file fails
            db =
                    DBMaker.fileDB(dir.resolve(StoreFiles.DB_FILE).toFile())
                            .fileLockDisable()
                            .transactionEnable()
                            .fileMmapEnable()
                            .cleanerHackEnable()
                            .make();
        } catch (RuntimeException e) {
            lock.release();
            throw new KvUnavailableException(
                    "cannot open the KV store of deployment '" + id + "' in " + dir + ": " + e, e);
        }
        Journal journal = null;
        try {
            journal = Journal.open(dir);
            return new MapDbKvStore(id, writers, background, options, db, journal, lock);
        } catch (RuntimeException e) {
            if (journal != null) {
                journal.close();
            }
            db.close();
            lock.release();
            throw new KvUnavailableException(
                    "cannot read the KV store of deployment '" + id + "' in " + dir + ": " + e, e);
        }
    }
}
