package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The on-disk layout: {@code <kv.directory>/<encoded id>/store.db} (plus MapDB's write-ahead log
 * files next to it), the store's {@link Journal} ({@code journal}) and, for a store with a
 * lifetime, a {@code lifetime} file holding the epoch millis at which the store is deleted. The
 * lifetime lives outside the database so the expiry run can see it for stores this process has not
 * opened.
 */
final class StoreFiles {
    static final String DB_FILE = "store.db";
    private static final String LIFETIME_FILE = "lifetime";

    private final Path root;

    StoreFiles(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path directory(String deploymentId) {
        return root.resolve(StoreNames.encode(deploymentId));
    }

    boolean exists(String deploymentId) {
        return Files.isRegularFile(directory(deploymentId).resolve(DB_FILE));
    }

    /** Ids of every store on disk. */
    List<String> ids() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                String id = StoreNames.decode(dir.getFileName().toString());
                if (id != null && Files.isRegularFile(dir.resolve(DB_FILE))) {
                    out.add(id);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list KV stores in " + root, e);
        }
        return out;
    }

    /** The store's end of life in epoch millis, or 0 when it has none. */
    long lifetimeEnd(String deploymentId) {
        Path file = directory(deploymentId).resolve(LIFETIME_FILE);
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | NumberFormatException e) {
            throw new KvUnavailableException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Records the end of life durably (written aside, synced, then moved into place). */
    void writeLifetimeEnd(String deploymentId, long epochMillis) {
        Path dir = directory(deploymentId);
        Path tmp = dir.resolve(LIFETIME_FILE + ".tmp");
        try {
            try (FileChannel ch =
                    FileChannel.open(
                            tmp,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(
                        java.nio.ByteBuffer.wrap(
                                Long.toString(epochMillis).getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            Files.move(
                    tmp,
                    dir.resolve(LIFETIME_FILE),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the lifetime of KV store " + dir, e);
        }
    }

    /** Removes the store's end of life: it lives until deleted. */
    void clearLifetimeEnd(String deploymentId) {
        Path file = directory(deploymentId).resolve(LIFETIME_FILE);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the lifetime of KV store " + file, e);
        }
    }

    /** Deletes the store's directory and everything in it; nothing if it does not exist. */
    void delete(String deploymentId) {
        Path dir = directory(deploymentId);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete KV store " + dir, e);
        }
    }
}
