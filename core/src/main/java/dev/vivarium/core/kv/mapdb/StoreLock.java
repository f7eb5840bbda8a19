package dev.vivarium.core.kv.mapdb;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The lock that keeps a store's files to one engine at a time: an OS file lock on {@code lock} in
 * the store's directory, held from opening the store to closing it. It also excludes another engine
 * in the same JVM (two webapps with the same {@code kv.directory}).
 */
final class StoreLock {
    static final String FILE = "lock";

    /** The cause of a refusal because another engine holds the lock. */
    static final class InUse extends RuntimeException {
        InUse() {
            super("another engine has this store open", null, false, false);
        }
    }

    private final FileChannel channel;

    private StoreLock(FileChannel channel) {
        this.channel = channel;
    }

    /** Takes the lock of the store in {@code dir}; null if someone else holds it. */
    static StoreLock take(Path dir) throws IOException {
        FileChannel channel =
                FileChannel.open(
                        dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            return null;
        }
        return new StoreLock(channel);
    }

    /** Releases the lock (closing the channel does); never throws. */
    void release() {
        try {
            channel.close();
        } catch (IOException e) {
            // the lock goes with the channel either way
        }
    }
}
