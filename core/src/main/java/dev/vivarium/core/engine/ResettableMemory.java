package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/**
 * A guest memory that can go back to its initial size, so an instance whose memory grew can still
 * be reset and reused.
 *
 * <p>Chicory's memories only grow, and {@code Instance.initialize} zeroes and rewrites memory but
 * keeps its size, so without this every request that grows memory would cost a new instance. That
 * is every request of a Rust guest: its allocator (dlmalloc) takes heap with {@code memory.grow},
 * never from the initial pages. {@link #shrinkToInitial()} swaps in a fresh memory of the initial
 * size, after which {@link PooledInstance#reset()} writes the data segments (or {@code initialize}
 * does, for modules with a start function) and it is exactly what a new instance has. Compiled
 * guest code holds this object, never the delegate, so the swap is safe between requests.
 *
 * <p>Every method delegates to a {@link ByteArrayMemory}; methods that it overrides for speed are
 * delegated too, the rest (atomics) use the interface's defaults, built on these.
 */
final class ResettableMemory implements Memory {
    private final MemoryLimits limits;
    private ByteArrayMemory delegate;

    /** Memory is tracked in chunks of {@code 1 << CHUNK_SHIFT} = 4 KiB. */
    static final int CHUNK_SHIFT = 12;

    private static final int CHUNK = 1 << CHUNK_SHIFT;

    /** The widest single write instruction (i64/f64) minus one: how far it can spill over. */
    private static final int SPILL = 7;

    /**
     * The chunks of the initial pages written since the last reset, by the guest or by the host;
     * every other chunk still holds what instantiation put there. A reset zeroes only these (then
     * rewrites the data segments): a small guest touches a few chunks of its pages, and zeroing all
     * of them was the largest host cost of a request. Every write method below marks the chunk its
     * first byte is in (bulk writes: every chunk they cover) before writing; a scalar write that
     * starts at the end of a chunk can spill up to {@link #SPILL} bytes into the next one, so a
     * reset zeroes that much past each marked chunk. Writes past the initial pages need no mark:
     * memory that grew is replaced whole ({@link #shrinkToInitial()}).
     */
    private final boolean[] written;

    /** The chunk marked last, or -1: a write there needs no new mark. */
    private int lastMarked = -1;

    ResettableMemory(MemoryLimits limits) {
        this.limits = limits;
        this.delegate = new ByteArrayMemory(limits);
        this.written =
                new boolean[(int) ((long) limits.initialPages() * PAGE_SIZE >>> CHUNK_SHIFT)];
    }

    /**
     * Replaces grown memory with a fresh (all-zero) one of the initial size; its data segments are
     * written later.
     *
     * @return true if the memory was replaced, so it needs no zeroing
     */
    boolean shrinkToInitial() {
        if (delegate.pages() == limits.initialPages()) {
            return false;
        }
        delegate = new ByteArrayMemory(limits);
        clean();
        return true;
    }

    /**
     * Zeroes what was written since the last reset (memory still of its initial size), so the
     * memory is all zero except where nothing was written: the data segments, which the reset
     * writes again anyway.
     */
    void zeroWritten() {
        int size = written.length << CHUNK_SHIFT;
        int c = 0;
        while (c < written.length) {
            if (!written[c]) {
                c++;
                continue;
            }
            int first = c;
            while (c < written.length && written[c]) {
                written[c++] = false;
            }
            // one fill per run of written chunks, plus what a write could spill past the run
            int from = first << CHUNK_SHIFT;
            int to = Math.min(size, (c << CHUNK_SHIFT) + SPILL);
            delegate.fill((byte) 0, from, to);
        }
        lastMarked = -1;
    }

    /** Chunks a reset would zero now; for tests. */
    int writtenChunks() {
        int n = 0;
        for (boolean w : written) {
            if (w) {
                n++;
            }
        }
        return n;
    }

    private void clean() {
        java.util.Arrays.fill(written, false);
        lastMarked = -1;
    }

    /** Marks the chunk of a scalar write (it may spill into the next: see {@link #SPILL}). */
    private void mark(int addr) {
        int c = addr >>> CHUNK_SHIFT;
        // most writes land in the chunk of the write before: one compare, no array access
        if (c != lastMarked) {
            markChunk(c);
        }
    }

    private void markChunk(int c) {
        if (c < written.length) {
            written[c] = true;
            lastMarked = c;
        }
    }

    /** Marks every chunk of a bulk write; the guest's address (out-of-bounds ones trap later). */
    private void mark(int addr, int size) {
        if (size <= 0) {
            return;
        }
        long last =
                Math.min(written.length - 1L, ((addr & 0xFFFFFFFFL) + size - 1) >>> CHUNK_SHIFT);
        for (long c = (addr & 0xFFFFFFFFL) >>> CHUNK_SHIFT; c <= last; c++) {
            written[(int) c] = true;
        }
    }

    @Override
    public int pages() {
        return delegate.pages();
    }

    @Override
    public int grow(int size) {
        return delegate.grow(size);
    }

    @Override
    public int initialPages() {
        return delegate.initialPages();
    }

    @Override
    public int maximumPages() {
        return delegate.maximumPages();
    }

    @Override
    public boolean shared() {
        return delegate.shared();
    }

    @Override
    public Object lock(int address) {
        return delegate.lock(address);
    }

    @Override
    public int waitOn(int address, int expected, long timeout) {
        return delegate.waitOn(address, expected, timeout);
    }

    @Override
    public int waitOn(int address, long expected, long timeout) {
        return delegate.waitOn(address, expected, timeout);
    }

    @Override
    public int notify(int address, int maxThreads) {
        return delegate.notify(address, maxThreads);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        delegate.initialize(instance, dataSegments);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        delegate.initialize(instance, dataSegments, memoryIndex);
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        mark(dest, size);
        delegate.initPassiveSegment(segmentId, dest, offset, size);
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        mark(addr, size);
        delegate.write(addr, data, offset, size);
    }

    @Override
    public byte read(int addr) {
        return delegate.read(addr);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        return delegate.readBytes(addr, len);
    }

    @Override
    public void writeI32(int addr, int data) {
        mark(addr);
        delegate.writeI32(addr, data);
    }

    @Override
    public int readInt(int addr) {
        return delegate.readInt(addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        mark(addr);
        delegate.writeLong(addr, data);
    }

    @Override
    public long readLong(int addr) {
        return delegate.readLong(addr);
    }

    @Override
    public void writeShort(int addr, short data) {
        mark(addr);
        delegate.writeShort(addr, data);
    }

    @Override
    public short readShort(int addr) {
        return delegate.readShort(addr);
    }

    @Override
    public long readU16(int addr) {
        return delegate.readU16(addr);
    }

    @Override
    public void writeByte(int addr, byte data) {
        mark(addr);
        delegate.writeByte(addr, data);
    }

    @Override
    public void writeF32(int addr, float data) {
        mark(addr);
        delegate.writeF32(addr, data);
    }

    @Override
    public long readF32(int addr) {
        return delegate.readF32(addr);
    }

    @Override
    public float readFloat(int addr) {
        return delegate.readFloat(addr);
    }

    @Override
    public void writeF64(int addr, double data) {
        mark(addr);
        delegate.writeF64(addr, data);
    }

    @Override
    public double readDouble(int addr) {
        return delegate.readDouble(addr);
    }

    @Override
    public long readF64(int addr) {
        return delegate.readF64(addr);
    }

    @Override
    public void zero() {
        delegate.zero();
        clean();
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        mark(fromIndex, toIndex - fromIndex);
        delegate.fill(value, fromIndex, toIndex);
    }

    @Override
    public void copy(int dest, int src, int size) {
        mark(dest, size);
        delegate.copy(dest, src, size);
    }

    @Override
    public void drop(int segment) {
        delegate.drop(segment);
    }
}
