package dev.vivarium.core.kv.mapdb;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A store's redo log: each commit appends its batch as one record and syncs the file ({@code
 * fdatasync}), which is all a write waits for. MapDB gets the batches later, many at a time, in a
 * checkpoint ({@link WriteBuffer}); a MapDB commit rewrites its own log files and syncs the store
 * file (about 3 syncs and a few ms), an append here is one sync (about 0.1 ms on an SSD).
 *
 * <p>Every record carries the store's <em>epoch</em>, a number MapDB holds and a checkpoint raises
 * in the same MapDB commit that stores the batches; then the file is emptied. On open, the records
 * of the current epoch are the writes MapDB does not have yet, and are replayed in order; a record
 * of an older epoch (its checkpoint is in MapDB, but emptying the file was not on disk yet) or a
 * torn one (a crash during an append, never acknowledged) ends the replay.
 *
 * <p>Record: {@code int length, int crc32c, long epoch, int count} and {@code count} entries of
 * {@code byte kind (0 put, 1 remove), int key length, key (UTF-8)} and, for a put, {@code long
 * expiresAt, int value length, value}; the CRC covers everything after itself. Not thread-safe: one
 * commit at a time appends ({@link GroupCommit}), on a thread that is never interrupted (an
 * interrupt would close the channel).
 */
final class Journal implements AutoCloseable {
    static final String FILE = "journal";

    private static final int HEADER = 8; // length, crc
    private static final byte PUT = 0;
    private static final byte REMOVE = 1;

    private final Path path;
    private final FileChannel channel;
    private volatile long size; // written by the committer, read by the background thread

    private Journal(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    /** Opens (or creates) the journal in {@code dir}. */
    static Journal open(Path dir) {
        Path path = dir.resolve(FILE);
        try {
            FileChannel ch =
                    FileChannel.open(
                            path,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.READ,
                            StandardOpenOption.WRITE);
            return new Journal(path, ch, 0); // read() finds the end
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + path, e);
        }
    }

    /** Bytes of records of the current epoch: what the next checkpoint takes out of the file. */
    long size() {
        return size;
    }

    /**
     * The batches of {@code epoch} in the file, in order, up to the first record that is torn or of
     * another epoch; the next record is written after the last of them.
     */
    List<Map<String, StoredValue>> read(long epoch) {
        List<Map<String, StoredValue>> batches = new ArrayList<>();
        long end = 0;
        try {
            long fileSize = channel.size();
            if (fileSize > Integer.MAX_VALUE) {
                throw new IOException("journal of " + fileSize + " bytes is too large");
            }
            ByteBuffer all = ByteBuffer.allocate((int) fileSize);
            while (all.hasRemaining() && channel.read(all, all.position()) >= 0) {
                // read it all
            }
            all.flip();
            CRC32C crc = new CRC32C();
            while (all.remaining() >= HEADER) {
                int length = all.getInt();
                int sum = all.getInt();
                if (length < 12 || length > all.remaining()) {
                    break; // torn, or the zeros of a file never written this far
                }
                crc.reset();
                crc.update(all.slice(all.position(), length));
                if ((int) crc.getValue() != sum) {
                    break; // torn
                }
                ByteBuffer rec = all.slice(all.position(), length);
                all.position(all.position() + length);
                if (rec.getLong() != epoch) {
                    break; // of an older epoch: a checkpoint has it
                }
                batches.add(decode(rec));
                end = all.position();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
        size = end;
        return batches;
    }

    private static Map<String, StoredValue> decode(ByteBuffer rec) {
        int count = rec.getInt();
        Map<String, StoredValue> batch = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byte kind = rec.get();
            byte[] key = new byte[rec.getInt()];
            rec.get(key);
            String k = new String(key, StandardCharsets.UTF_8);
            if (kind == REMOVE) {
                batch.put(k, WriteBuffer.REMOVED);
            } else {
                long expiresAt = rec.getLong();
                byte[] data = new byte[rec.getInt()];
                rec.get(data);
                batch.put(k, new StoredValue(expiresAt, data));
            }
        }
        return batch;
    }

    /**
     * Appends {@code batch} as one record of {@code epoch} and syncs it.
     *
     * @throws GroupCommit.NotWritten if nothing was written: the file is gone (its directory was
     *     deleted under the running store, so a write would go to a file nobody will read)
     * @throws UncheckedIOException if writing or syncing failed: the record may be on disk or not
     */
    void append(long epoch, Map<String, StoredValue> batch) {
        if (!Files.exists(path)) {
            throw new GroupCommit.NotWritten(
                    new UncheckedIOException(new NoSuchFileException(path.toString())));
        }
        long length = 12;
        List<byte[]> keys = new ArrayList<>(batch.size());
        for (Map.Entry<String, StoredValue> e : batch.entrySet()) {
            byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
            keys.add(key);
            length += 5 + key.length;
            if (e.getValue() != WriteBuffer.REMOVED) {
                length += 12 + e.getValue().data().length;
            }
        }
        if (length > Integer.MAX_VALUE - HEADER) {
            throw new GroupCommit.NotWritten(
                    new IllegalStateException("a batch of " + length + " bytes is too large"));
        }
        // one array per commit, not one kept per store (there may be thousands of stores)
        ByteBuffer buf = ByteBuffer.allocate(HEADER + (int) length);
        buf.putInt((int) length).putInt(0).putLong(epoch).putInt(batch.size());
        int i = 0;
        for (Map.Entry<String, StoredValue> e : batch.entrySet()) {
            byte[] key = keys.get(i++);
            StoredValue v = e.getValue();
            buf.put(v == WriteBuffer.REMOVED ? REMOVE : PUT).putInt(key.length).put(key);
            if (v != WriteBuffer.REMOVED) {
                buf.putLong(v.expiresAt()).putInt(v.data().length).put(v.data());
            }
        }
        buf.flip();
        CRC32C crc = new CRC32C();
        crc.update(buf.slice(HEADER, (int) length));
        buf.putInt(4, (int) crc.getValue());
        try {
            long at = size;
            while (buf.hasRemaining()) {
                at += channel.write(buf, at);
            }
            channel.force(false);
            size = at;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    /**
     * Starts the file over, once a checkpoint has put everything in it into MapDB (and raised the
     * epoch). The next records overwrite the old ones in place rather than grow a new file: an
     * overwrite does not change the file's size, so its sync writes no metadata (on ext4 no journal
     * commit of the file system). The old records left behind the new ones are of an older epoch,
     * so a replay stops at them.
     */
    void reset() {
        size = 0;
    }

    /** Empties the file, so that a closed store keeps no old records on disk. */
    void truncate() {
        try {
            channel.truncate(0);
            channel.force(true);
            size = 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty " + path, e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + path, e);
        }
    }
}
