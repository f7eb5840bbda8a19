package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A guest memory in one flat byte array, under {@link ResettableMemory}: a load or store is one
 * bounds-checked array access. Chicory's {@code ByteArrayMemory} keeps an array per 64 KiB page, so
 * each access also finds its page and checks whether it crosses into the next. A grow copies the
 * memory into a larger array (Chicory's adds a page); the pool replaces grown memory after the
 * request anyway.
 *
 * <p>It traps as Chicory's memories do: an access outside the memory is a {@link
 * WasmRuntimeException} ("out of bounds memory access"), a data segment that does not fit at
 * instantiation an {@link UninstantiableException}. Not shared: modules with shared memory or
 * atomics are refused at load, so waiting and notifying are not supported.
 */
final class FlatMemory implements Memory {
    private static final VarHandle SHORT = view(short[].class);
    private static final VarHandle INT = view(int[].class);
    private static final VarHandle LONG = view(long[].class);

    private final MemoryLimits limits;
    private byte[] bytes;
    private DataSegment[] dataSegments;

    FlatMemory(MemoryLimits limits) {
        this.limits = limits;
        this.bytes = new byte[limits.initialPages() * PAGE_SIZE];
    }

    private static VarHandle view(Class<?> arrayType) {
        return MethodHandles.byteArrayViewVarHandle(arrayType, ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public int pages() {
        return bytes.length / PAGE_SIZE;
    }

    @Override
    public int grow(int size) {
        int before = pages();
        long after = before + Integer.toUnsignedLong(size);
        if (after > maximumPages()) {
            return -1;
        }
        if (after > before) {
            bytes = Arrays.copyOf(bytes, (int) after * PAGE_SIZE);
        }
        return before;
    }

    @Override
    public int initialPages() {
        return limits.initialPages();
    }

    @Override
    public int maximumPages() {
        return Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    }

    @Override
    public boolean shared() {
        return limits.shared();
    }

    @Override
    public Object lock(int address) {
        return this;
    }

    @Override
    public int waitOn(int address, int expected, long timeout) {
        throw new WasmRuntimeException("atomic wait on a memory that is not shared");
    }

    @Override
    public int waitOn(int address, long expected, long timeout) {
        throw new WasmRuntimeException("atomic wait on a memory that is not shared");
    }

    @Override
    public int notify(int address, int maxThreads) {
        return 0;
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        initialize(instance, dataSegments, 0);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        this.dataSegments = dataSegments;
        if (dataSegments == null) {
            return;
        }
        for (DataSegment s : dataSegments) {
            if (s instanceof ActiveDataSegment a) {
                if (a.index() != memoryIndex) {
                    continue;
                }
                int offset =
                        (int)
                                ConstantEvaluators.computeConstantValue(
                                        instance, a.offsetInstructions())[0];
                byte[] data = a.data();
                checkBounds(offset, data.length, UninstantiableException::new);
                System.arraycopy(data, 0, bytes, offset, data.length);
            } else if (!(s instanceof PassiveDataSegment)) {
                throw new ChicoryException("Data segment should be active or passive: " + s);
            }
        }
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        write(dest, dataSegments[segmentId].data(), offset, size);
    }

    @Override
    public void drop(int segment) {
        dataSegments[segment] = PassiveDataSegment.EMPTY;
    }

    /** Traps unless {@code [addr, addr + size)} lies in memory (a size of 0 may end at its end). */
    private void checkBounds(int addr, int size, Function<String, ChicoryException> trap) {
        if (addr < 0 || size < 0 || (long) addr + size > bytes.length) {
            throw trap.apply(outOfBoundsMessage(addr, size));
        }
    }

    private RuntimeException outOfBounds(int addr, int size) {
        return new WasmRuntimeException(outOfBoundsMessage(addr, size));
    }

    /** Chicory's words for it. */
    private String outOfBoundsMessage(int addr, int size) {
        return "out of bounds memory access: attempted to access address: "
                + addr
                + " but limit is: "
                + bytes.length
                + " and size: "
                + size;
    }

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        checkBounds(addr, size, WasmRuntimeException::new);
        try {
            System.arraycopy(data, offset, bytes, addr, size);
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, size);
        }
    }

    @Override
    public byte read(int addr) {
        try {
            return bytes[addr];
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, 1);
        }
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        checkBounds(addr, len, WasmRuntimeException::new);
        return Arrays.copyOfRange(bytes, addr, addr + len);
    }

    @Override
    public void writeI32(int addr, int data) {
        try {
            INT.set(bytes, addr, data);
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, 4);
        }
    }

    @Override
    public int readInt(int addr) {
        try {
            return (int) INT.get(bytes, addr);
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, 4);
        }
    }

    @Override
    public void writeLong(int addr, long data) {
        try {
            LONG.set(bytes, addr, data);
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, 8);
        }
    }

    @Override
    public long readLong(int addr) {
        try {
            return (long) LONG.get(bytes, addr);
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, 8);
        }
    }

    @Override
    public void writeShort(int addr, short data) {
        try {
            SHORT.set(bytes, addr, data);
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, 2);
        }
    }

    @Override
    public short readShort(int addr) {
        try {
            return (short) SHORT.get(bytes, addr);
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, 2);
        }
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public void writeByte(int addr, byte data) {
        try {
            bytes[addr] = data;
        } catch (IndexOutOfBoundsException e) {
            throw outOfBounds(addr, 1);
        }
    }

    @Override
    public void writeF32(int addr, float data) {
        writeI32(addr, Float.floatToRawIntBits(data));
    }

    @Override
    public long readF32(int addr) {
        return readInt(addr);
    }

    @Override
    public float readFloat(int addr) {
        return Float.intBitsToFloat(readInt(addr));
    }

    @Override
    public void writeF64(int addr, double data) {
        writeLong(addr, Double.doubleToRawLongBits(data));
    }

    @Override
    public double readDouble(int addr) {
        return Double.longBitsToDouble(readLong(addr));
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }

    @Override
    public void zero() {
        Arrays.fill(bytes, (byte) 0);
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        checkBounds(fromIndex, toIndex - fromIndex, WasmRuntimeException::new);
        Arrays.fill(bytes, fromIndex, toIndex, value);
    }

    @Override
    public void copy(int dest, int src, int size) {
        checkBounds(src, size, WasmRuntimeException::new);
        checkBounds(dest, size, WasmRuntimeException::new);
        System.arraycopy(bytes, src, bytes, dest, size);
    }
}
