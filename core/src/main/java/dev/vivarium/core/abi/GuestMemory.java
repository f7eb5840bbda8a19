package dev.vivarium.core.abi;

import com.dylibso.chicory.runtime.Memory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Bounds-checked access to a guest's linear memory plus the encodings the ABI uses: out-params,
 * NUL-terminated strings and GuestSlice arrays (see {@code guests/ABI.md}, "Memory management").
 *
 * <p>Every pointer and length is checked as an unsigned 32-bit range before it is touched, so a bad
 * pointer becomes a {@link HostcallTrap}, never a Java exception from the memory. Memory may grow
 * while the guest's malloc runs, so nothing here caches sizes or arrays across a malloc.
 */
public final class GuestMemory {
    /** Size of one GuestSlice: {@code i32 ptr, i32 len}, little-endian. */
    public static final int SLICE_SIZE = 8;

    private final Memory memory;
    private final GuestAllocator allocator;

    public GuestMemory(Memory memory, GuestAllocator allocator) {
        this.memory = memory;
        this.allocator = allocator;
    }

    public Memory memory() {
        return memory;
    }

    /**
     * The guest malloc that {@code hostcall_init_mm(mallocIndex, freeIndex)} resolved to last, so
     * an instance that registers the same allocator on every request (every SDK does) is checked
     * once: this view lives as long as its instance, and the function table of an instance that is
     * reused never changes ({@code GuestLoader}).
     */
    private int resolvedMallocIndex = -1;

    /**
     * The argument of a call to the guest's malloc ({@code CallContext}), reused: Chicory's machine
     * reads it on entry, and an instance runs on one thread.
     */
    final long[] mallocArgs = new long[1];

    private int resolvedFreeIndex = -1;
    private int resolvedMalloc = -1;

    /** The function {@code (mallocIndex, freeIndex)} resolved to before, or -1. */
    int resolvedAllocator(int mallocIndex, int freeIndex) {
        return mallocIndex == resolvedMallocIndex && freeIndex == resolvedFreeIndex
                ? resolvedMalloc
                : -1;
    }

    void resolvedAllocator(int mallocIndex, int freeIndex, int mallocFunction) {
        resolvedMallocIndex = mallocIndex;
        resolvedFreeIndex = freeIndex;
        resolvedMalloc = mallocFunction;
    }

    /** The memory's current size in bytes. */
    long size() {
        return (long) memory.pages() * Memory.PAGE_SIZE;
    }

    /** Checks that {@code [ptr, ptr + len)} lies in memory; both are unsigned 32-bit values. */
    public void check(int ptr, int len, String what) {
        if (!fits(ptr, len)) {
            throw outside(what, ptr, len);
        }
    }

    /** Whether {@code [ptr, ptr + len)} lies in memory; both are unsigned 32-bit values. */
    private boolean fits(int ptr, int len) {
        return Integer.toUnsignedLong(ptr) + Integer.toUnsignedLong(len) <= size();
    }

    private HostcallTrap outside(String what, int ptr, int len) {
        return new HostcallTrap(
                String.format(
                        "%s at 0x%x (%d bytes) is outside guest memory of %d bytes",
                        what, Integer.toUnsignedLong(ptr), Integer.toUnsignedLong(len), size()));
    }

    public byte[] read(int ptr, int len, String what) {
        check(ptr, len, what);
        return len == 0 ? NOTHING : memory.readBytes(ptr, len);
    }

    /**
     * Reads octets as text, one char per byte (ISO-8859-1): header names and values. A short one is
     * copied once, into the string, through a scratch buffer this view keeps (an instance runs on
     * one thread), instead of through a byte array of its own first.
     */
    public String readLatin1(int ptr, int len, String what) {
        check(ptr, len, what);
        if (len == 0) {
            return "";
        }
        if (len > SCRATCH_SIZE) {
            return new String(memory.readBytes(ptr, len), StandardCharsets.ISO_8859_1);
        }
        byte[] buf = scratch();
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            LONG_LE.set(buf, i, memory.readLong(ptr + i));
        }
        for (; i < len; i++) {
            buf[i] = memory.read(ptr + i);
        }
        return new String(buf, 0, len, StandardCharsets.ISO_8859_1);
    }

    /** Strings up to this many bytes are read through {@link #scratch}. */
    static final int SCRATCH_SIZE = 256;

    private static final java.lang.invoke.VarHandle LONG_LE =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
                    long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private byte[] scratch;

    /**
     * The guest pointers of the items {@link #writeLatin1SlicesOut} copied in, reused. A guest
     * whose malloc re-enters that hostcall mixes up the pointers of its own memory only: every
     * write is checked against it.
     */
    private int[] slicePtrs = new int[16];

    /** Reads UTF-8 text; invalid sequences become U+FFFD as the http crate would reject them. */
    public String readString(int ptr, int len, String what) {
        return new String(read(ptr, len, what), StandardCharsets.UTF_8);
    }

    public int readI32(int ptr, String what) {
        check(ptr, 4, what);
        return memory.readInt(ptr);
    }

    public void writeI32(int ptr, int value, String what) {
        check(ptr, 4, what);
        memory.writeI32(ptr, value);
    }

    public void writeI64(int ptr, long value, String what) {
        check(ptr, 8, what);
        memory.writeLong(ptr, value);
    }

    public void write(int ptr, byte[] data, String what) {
        check(ptr, data.length, what);
        memory.write(ptr, data);
    }

    /**
     * Reads an array of {@code count} GuestSlices and the octets each one points to, as text with
     * one char per byte ({@link #readLatin1}): header values. Every slice is checked, and their
     * lengths added up, before anything is copied.
     *
     * @param what and {@code subject} describe the slices in an error message ({@code what +
     *     subject}, put together only then)
     * @param maxBytes the most the slices may hold together
     * @throws HostcallTrap a {@linkplain HostcallTrap#limit limit trap} naming {@code limit} when
     *     they hold more
     */
    public List<String> readLatin1Slices(
            int ptr, int count, String what, String subject, long maxBytes, String limit) {
        checkSlices(ptr, count, what, subject, maxBytes, limit);
        if (count == 1) {
            return List.of(readLatin1(memory.readInt(ptr), memory.readInt(ptr + 4), what));
        }
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int p = memory.readInt(ptr + i * SLICE_SIZE);
            int l = memory.readInt(ptr + i * SLICE_SIZE + 4);
            out.add(readLatin1(p, l, what));
        }
        return out;
    }

    /**
     * Checks an array of {@code count} GuestSlices and every slice in it, and that they hold at
     * most {@code maxBytes} together, before anything is copied.
     */
    private void checkSlices(
            int ptr, int count, String what, String subject, long maxBytes, String limit) {
        if (count < 0 || count > Integer.MAX_VALUE / SLICE_SIZE) {
            throw new HostcallTrap(what + subject + " has an impossible length " + count);
        }
        if (!fits(ptr, count * SLICE_SIZE)) {
            throw outside(what + subject, ptr, count * SLICE_SIZE);
        }
        long total = 0;
        for (int i = 0; i < count; i++) {
            int p = memory.readInt(ptr + i * SLICE_SIZE);
            int l = memory.readInt(ptr + i * SLICE_SIZE + 4);
            if (!fits(p, l)) {
                throw outside(what + subject + "[" + i + "]", p, l);
            }
            total += Integer.toUnsignedLong(l);
        }
        if (total > maxBytes) {
            throw HostcallTrap.limit(
                    what
                            + subject
                            + " of "
                            + total
                            + " bytes exceed "
                            + limit
                            + " ("
                            + maxBytes
                            + " bytes)");
        }
    }

    private static final byte[] NOTHING = new byte[0];

    /** Reads {@code count} little-endian i32 values (e.g. pending-request handles). */
    public int[] readI32s(int ptr, int count, String what) {
        if (count < 0 || count > Integer.MAX_VALUE / 4) {
            throw new HostcallTrap(what + " has an impossible length " + count);
        }
        check(ptr, count * 4, what);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = memory.readInt(ptr + i * 4);
        }
        return out;
    }

    /**
     * Copies {@code data} into a fresh guest allocation of {@code data.length + 1} bytes with a
     * trailing NUL (C guests use results as C strings), so malloc never sees size 0.
     *
     * @return the guest pointer
     */
    public int copyIn(byte[] data) {
        int ptr = allocator.malloc(data.length + 1);
        check(ptr, data.length + 1, "malloc'd buffer");
        memory.write(ptr, data);
        memory.writeByte(ptr + data.length, (byte) 0);
        return ptr;
    }

    /**
     * As {@link #copyIn(byte[])} for text: its UTF-8 bytes if {@code utf8}, else its octets, one
     * byte per char (ISO-8859-1; a char above U+00FF, which no header from the wire has, becomes
     * {@code ?}, as Jetty writes it). Short text that is one byte per char goes through the scratch
     * buffer, without a byte array of its own.
     *
     * @return the guest pointer
     */
    public int copyIn(String text, boolean utf8) {
        int len = text.length();
        if (!byteForChar(text, utf8)) {
            return copyIn(encode(text, utf8));
        }
        int ptr = allocator.malloc(len + 1);
        check(ptr, len + 1, "malloc'd buffer");
        // after the malloc, which runs guest code: the scratch buffer is filled and used at once
        byte[] buf = scratch();
        for (int i = 0; i < len; i++) {
            char c = text.charAt(i);
            buf[i] = c < 0x100 ? (byte) c : (byte) '?';
        }
        memory.write(ptr, buf, 0, len);
        memory.writeByte(ptr + len, (byte) 0);
        return ptr;
    }

    /** Whether {@code text} is short enough for the scratch buffer and one byte per char. */
    private static boolean byteForChar(String text, boolean utf8) {
        if (text.length() > SCRATCH_SIZE) {
            return false;
        }
        if (utf8) {
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) >= 0x80) {
                    return false;
                }
            }
        }
        return true;
    }

    private static byte[] encode(String text, boolean utf8) {
        return text.getBytes(utf8 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    }

    private byte[] scratch() {
        byte[] buf = scratch;
        if (buf == null) {
            buf = scratch = new byte[SCRATCH_SIZE];
        }
        return buf;
    }

    /**
     * Writes text to the out-params as {@link #writeOut(int, int, byte[])} writes bytes: empty or
     * absent text is {@code (0, 0)}.
     */
    public void writeOut(int ptrP, int lenP, String text, boolean utf8) {
        if (text != null && !byteForChar(text, utf8)) {
            writeOut(ptrP, lenP, encode(text, utf8));
            return;
        }
        checkOutParams(ptrP, lenP);
        if (text == null || text.isEmpty()) {
            writePair(ptrP, lenP, 0, 0);
            return;
        }
        int ptr = copyIn(text, utf8);
        writePair(ptrP, lenP, ptr, text.length());
    }

    /**
     * Writes a malloc'd GuestSlice array of malloc'd items to the out-params, each item the octets
     * of a text (see {@link #copyIn(String, boolean)}); the length is the number of slices. An
     * empty list is {@code (0, 0)}.
     */
    public void writeLatin1SlicesOut(int ptrP, int lenP, List<String> items) {
        checkOutParams(ptrP, lenP);
        int n = items.size();
        if (n == 0) {
            writePair(ptrP, lenP, 0, 0);
            return;
        }
        int[] ptrs = slicePtrs;
        if (ptrs.length < n) {
            ptrs = slicePtrs = new int[Math.max(n, 2 * ptrs.length)];
        }
        for (int i = 0; i < n; i++) {
            ptrs[i] = copyIn(items.get(i), false);
        }
        int array = allocator.malloc(n * SLICE_SIZE);
        check(array, n * SLICE_SIZE, "malloc'd slice array");
        for (int i = 0; i < n; i++) {
            memory.writeI32(array + i * SLICE_SIZE, ptrs[i]);
            memory.writeI32(array + i * SLICE_SIZE + 4, items.get(i).length());
        }
        writePair(ptrP, lenP, array, n);
    }

    /**
     * Writes variable-size data to the out-params {@code (*ptrP, *lenP)}. Empty or absent data is
     * written as {@code (0, 0)} without allocating, as for bodies.
     */
    public void writeOut(int ptrP, int lenP, byte[] data) {
        checkOutParams(ptrP, lenP);
        if (data == null || data.length == 0) {
            writePair(ptrP, lenP, 0, 0);
            return;
        }
        writeOutAllocated(ptrP, lenP, data);
    }

    /**
     * Writes data that must be a real allocation even when empty (KV values, header values): the
     * guest frees what it receives, so an empty value still gets a 1-byte buffer.
     */
    public void writeOutAllocated(int ptrP, int lenP, byte[] data) {
        checkOutParams(ptrP, lenP);
        int ptr = copyIn(data);
        writePair(ptrP, lenP, ptr, data.length);
    }

    /** Writes {@code (0, 0)}: the ABI's "nothing", also used before a failure is returned. */
    public void writeNothing(int ptrP, int lenP) {
        checkOutParams(ptrP, lenP);
        writePair(ptrP, lenP, 0, 0);
    }

    private void checkOutParams(int ptrP, int lenP) {
        check(ptrP, 4, "out-param ptr");
        check(lenP, 4, "out-param len");
    }

    private void writePair(int ptrP, int lenP, int ptr, int len) {
        memory.writeI32(ptrP, ptr);
        memory.writeI32(lenP, len);
    }
}
