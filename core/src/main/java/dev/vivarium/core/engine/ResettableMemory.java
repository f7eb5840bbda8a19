package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.vivarium.core.resources.NoMemoryException;
import java.util.Locale;

/**
 * A guest memory that can go back to its initial size, so an instance whose memory grew can still
 * be reset and reused.
 *
 * <p>Chicory's memories only grow, and {@code Instance.initialize} zeroes and rewrites memory but
 * keeps its size, so without this every request that grows memory would cost a new instance. That
 * is every request of a Rust guest: its allocator (dlmalloc) takes heap with {@code memory.grow},
 * never from the initial pages. {@link #shrinkToInitial()} swaps in a fresh memory of the initial
 * size, after which {@link PooledInstance#reset()} writes the data segments and it is exactly what
 * a new instance has. Compiled guest code holds this object, never the delegate, so the swap is
 * safe between requests.
 *
 * <p>It also keeps the engine's {@link MemoryBudget} informed: its pages are reserved there before
 * they are allocated (initial ones at construction, more on {@link #grow}) and given back on
 * shrinking and {@link #release()}; a grow that does not fit fails as {@code memory.grow} fails,
 * and the reason is kept for the request's error message.
 *
 * <p>Every method delegates to a {@link FlatMemory}; methods that it overrides for speed are
 * delegated too, the rest (atomics) use the interface's defaults, built on these.
 *
 * <p>A reset of this class zeroes all the initial pages; {@link TrackedMemory} knows which of them
 * were written and zeroes only those. Which one an instance gets is its pool's choice ({@link
 * InstancePool}): tracking costs every store a compare, which only pays for short requests.
 */
class ResettableMemory implements Memory {
    private final MemoryLimits limits;
    private final MemoryBudget budget;
    private FlatMemory delegate;

    /** The bytes this memory holds in the budget; 0 once released. */
    private long reserved;

    /** Why a {@code memory.grow} failed since the last reset, or null. */
    private GrowRefusal refusal;

    /**
     * Reserves the initial pages in {@code budget}, then allocates them.
     *
     * @param evict whether idle instances may be dropped to make room (not when warming a pool)
     * @throws NoMemoryException if they do not fit
     */
    ResettableMemory(MemoryLimits limits, MemoryBudget budget, boolean evict) {
        this.limits = limits;
        this.budget = budget;
        long bytes = (long) limits.initialPages() * PAGE_SIZE;
        if (!(evict ? budget.reserve(bytes) : budget.tryReserve(bytes))) {
            throw new NoMemoryException(
                    "no memory for a new instance ("
                            + MemoryBudget.describe(bytes)
                            + "): "
                            + budget.state());
        }
        this.reserved = bytes;
        try {
            this.delegate = new FlatMemory(limits);
        } catch (RuntimeException | Error e) {
            release();
            throw e;
        }
    }

    /** Gives this memory's bytes back to the budget; the instance is being dropped. Idempotent. */
    void release() {
        budget.release(reserved);
        reserved = 0;
    }

    /** Why a {@code memory.grow} failed since the last reset, or null if none did. */
    GrowRefusal refusal() {
        return refusal;
    }

    /**
     * Attaches this memory's refusal, if any, to {@code failure} (as a suppressed {@link Refused}):
     * an instance whose start function failed is never handed out, so this is how the request's
     * error message learns why (see {@link #refusalIn}).
     */
    void noteRefusal(Throwable failure) {
        if (refusal != null) {
            failure.addSuppressed(new Refused(refusal));
        }
    }

    /** The refusal {@link #noteRefusal} attached to {@code failure}, or null. */
    static GrowRefusal refusalIn(Throwable failure) {
        for (Throwable s : failure.getSuppressed()) {
            if (s instanceof Refused r) {
                return r.refusal;
            }
        }
        return null;
    }

    /** Carries a {@link GrowRefusal} on the exception that ended a start function. */
    private static final class Refused extends RuntimeException {
        final transient GrowRefusal refusal;

        Refused(GrowRefusal refusal) {
            super(refusal.describe(), null, false, false);
            this.refusal = refusal;
        }
    }

    /**
     * Replaces grown memory with a fresh (all-zero) one of the initial size; its data segments are
     * written later.
     *
     * @return true if the memory was replaced, so it needs no zeroing
     */
    boolean shrinkToInitial() {
        refusal = null;
        if (delegate.pages() == limits.initialPages()) {
            return false;
        }
        delegate = new FlatMemory(limits);
        replaced();
        long initial = (long) limits.initialPages() * PAGE_SIZE;
        budget.release(reserved - initial);
        reserved = initial;
        return true;
    }

    /** Called when {@link #shrinkToInitial()} put a new, all-zero memory in place. */
    void replaced() {}

    /**
     * Makes memory of the initial size what instantiation left, given the active data segments of
     * memory 0 ({@code offsets}, {@code bytes}): zero, then the segments written again.
     */
    void resetInitial(int[] offsets, byte[][] bytes) {
        delegate.zero();
        for (int i = 0; i < offsets.length; i++) {
            delegate.write(offsets[i], bytes[i], 0, bytes[i].length);
        }
    }

    /** The bytes of the initial pages. */
    final int initialBytes() {
        return limits.initialPages() * PAGE_SIZE;
    }

    @Override
    public int pages() {
        return delegate.pages();
    }

    /**
     * Grows by {@code size} pages if the instance's limit and the engine's budget allow it; else
     * returns -1, as {@code memory.grow} does when it fails, and remembers why.
     */
    @Override
    public int grow(int size) {
        if (size == 0) {
            return delegate.pages();
        }
        long pages = Integer.toUnsignedLong(size);
        if (delegate.pages() + pages > delegate.maximumPages()) {
            refusal =
                    new GrowRefusal(
                            pages, false, delegate.maximumPages(), budget.used(), budget.limit());
            return -1;
        }
        long bytes = pages * PAGE_SIZE;
        if (!budget.reserve(bytes)) {
            refusal =
                    new GrowRefusal(
                            pages, true, delegate.maximumPages(), budget.used(), budget.limit());
            return -1;
        }
        int before;
        try {
            before = delegate.grow(size);
        } catch (RuntimeException | Error e) {
            budget.release(bytes);
            throw e;
        }
        if (before < 0) {
            budget.release(bytes);
        } else {
            reserved += bytes;
        }
        return before;
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
        delegate.initPassiveSegment(segmentId, dest, offset, size);
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
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
        delegate.writeI32(addr, data);
    }

    @Override
    public int readInt(int addr) {
        return delegate.readInt(addr);
    }

    @Override
    public void writeLong(int addr, long data) {
        delegate.writeLong(addr, data);
    }

    @Override
    public long readLong(int addr) {
        return delegate.readLong(addr);
    }

    @Override
    public void writeShort(int addr, short data) {
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
        delegate.writeByte(addr, data);
    }

    @Override
    public void writeF32(int addr, float data) {
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
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        delegate.fill(value, fromIndex, toIndex);
    }

    @Override
    public void copy(int dest, int src, int size) {
        delegate.copy(dest, src, size);
    }

    @Override
    public void drop(int segment) {
        delegate.drop(segment);
    }

    /**
     * A failed {@code memory.grow}.
     *
     * @param pages how many pages the guest asked for
     * @param total whether the engine's {@code maxTotalMemory} refused it (else the instance's own
     *     limit: {@code maxMemoryPages} or the module's declared maximum)
     * @param maxPages the instance's limit, in pages
     * @param used the bytes all instances held then
     * @param limit {@code maxTotalMemory}
     */
    record GrowRefusal(long pages, boolean total, int maxPages, long used, long limit) {
        String describe() {
            if (total) {
                return "memory.grow by "
                        + pages
                        + " pages was refused: "
                        + MemoryBudget.holding(used, limit);
            }
            return String.format(
                    Locale.ROOT,
                    "memory.grow by %d pages was refused: an instance may have at most %d pages"
                            + " of 64 KiB",
                    pages,
                    maxPages);
        }
    }
}
