package dev.vivarium.core.engine;

import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Arrays;

/**
 * A {@link ResettableMemory} that knows which 4 KiB chunks of its initial pages were written since
 * the last reset, so a reset zeroes only those (and writes back the data segments they overlap).
 *
 * <p>Why: a request-sized guest writes a few chunks of its pages (the C hello guest 3 of 32), and
 * zeroing all of them was the largest host cost of its request, and evicted the caches the next
 * request runs in. The price is a compare on every store ({@link #mark(int)}), which a store-heavy
 * guest pays on every byte it writes (about 12% of a loop that only loads and stores), so its pool
 * gives it plain {@link ResettableMemory} instead once its requests are long ({@link
 * InstancePool}).
 *
 * <p>Every write method marks before it writes: a scalar store the chunk its first byte is in (one
 * that starts at the end of a chunk can reach {@link #SPILL} bytes into the next, so a reset zeroes
 * that much past each run of marked chunks), a bulk write every chunk it covers. Host writes
 * (request data into guest memory) come through the same methods. Writes past the initial pages
 * need no mark: memory that grew is replaced whole. Atomics (refused at load anyway) use the
 * interface's defaults, built on these. {@code ResetTest} runs each kind of write alone and
 * compares the reset memory with a new instance's, byte for byte.
 */
final class TrackedMemory extends ResettableMemory {
    /** Writes are tracked in chunks of {@code 1 << CHUNK_SHIFT} = 4 KiB. */
    static final int CHUNK_SHIFT = 12;

    /** The widest single store (i64, f64) minus one: how far past its chunk it can reach. */
    private static final int SPILL = 7;

    /** The chunks of the initial pages written since the last reset, by the guest or the host. */
    private final boolean[] written;

    /** The chunk marked last, or -1: most stores land in it, and then cost one compare. */
    private int lastMarked = -1;

    TrackedMemory(MemoryLimits limits, MemoryBudget budget, boolean evict) {
        super(limits, budget, evict);
        this.written = new boolean[initialBytes() >>> CHUNK_SHIFT];
    }

    @Override
    void replaced() {
        Arrays.fill(written, false);
        lastMarked = -1;
    }

    /**
     * Zeroes every chunk written since the last reset (plus {@link #SPILL} bytes past each run of
     * them) and writes back the parts of the data segments those cover; the rest was not written,
     * so it still holds what a new instance has.
     */
    @Override
    void resetInitial(int[] offsets, byte[][] bytes) {
        int chunks = written.length;
        int size = chunks << CHUNK_SHIFT;
        int c = 0;
        while (c < chunks) {
            if (!written[c]) {
                c++;
                continue;
            }
            int first = c;
            while (c < chunks && written[c]) {
                written[c++] = false;
            }
            int from = first << CHUNK_SHIFT;
            int to = Math.min(size, (c << CHUNK_SHIFT) + SPILL);
            // the unmarked writes of the superclass: this is the reset, not the guest
            super.fill((byte) 0, from, to);
            for (int i = 0; i < offsets.length; i++) {
                int start = Math.max(from, offsets[i]);
                int end = Math.min(to, offsets[i] + bytes[i].length);
                if (start < end) {
                    super.write(start, bytes[i], start - offsets[i], end - start);
                }
            }
        }
        lastMarked = -1;
    }

    /** How many chunks a reset would zero now; for tests. */
    int writtenChunks() {
        int n = 0;
        for (boolean w : written) {
            if (w) {
                n++;
            }
        }
        return n;
    }

    /** Marks the chunk of a scalar store at {@code addr} (unsigned). */
    private void mark(int addr) {
        int c = addr >>> CHUNK_SHIFT;
        if (c != lastMarked) {
            markChunk(c);
        }
    }

    private void markChunk(int c) {
        // past the initial pages: grown memory is replaced whole, and past the end it traps
        if (c < written.length) {
            written[c] = true;
            lastMarked = c;
        }
    }

    /** Marks every chunk of a bulk write of {@code size} bytes at {@code addr} (unsigned). */
    private void mark(int addr, int size) {
        if (size <= 0) {
            return;
        }
        long start = Integer.toUnsignedLong(addr);
        long last = Math.min(written.length - 1L, (start + size - 1) >>> CHUNK_SHIFT);
        for (long c = start >>> CHUNK_SHIFT; c <= last; c++) {
            written[(int) c] = true;
        }
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        mark(dest, size);
        super.initPassiveSegment(segmentId, dest, offset, size);
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        mark(addr, size);
        super.write(addr, data, offset, size);
    }

    @Override
    public void writeI32(int addr, int data) {
        mark(addr);
        super.writeI32(addr, data);
    }

    @Override
    public void writeLong(int addr, long data) {
        mark(addr);
        super.writeLong(addr, data);
    }

    @Override
    public void writeShort(int addr, short data) {
        mark(addr);
        super.writeShort(addr, data);
    }

    @Override
    public void writeByte(int addr, byte data) {
        mark(addr);
        super.writeByte(addr, data);
    }

    @Override
    public void writeF32(int addr, float data) {
        mark(addr);
        super.writeF32(addr, data);
    }

    @Override
    public void writeF64(int addr, double data) {
        mark(addr);
        super.writeF64(addr, data);
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        mark(fromIndex, toIndex - fromIndex);
        super.fill(value, fromIndex, toIndex);
    }

    @Override
    public void copy(int dest, int src, int size) {
        mark(dest, size);
        super.copy(dest, src, size);
    }
}
