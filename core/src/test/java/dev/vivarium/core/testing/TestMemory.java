package dev.vivarium.core.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.abi.GuestAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * A standalone guest memory for hostcall tests that run no guest: a bump allocator standing in for
 * the guest's malloc, helpers to place arguments and read results, and a {@link CallContext} over
 * it.
 *
 * <p>Addresses below {@link #HEAP_START} are free for a test to place data at fixed addresses
 * ({@link #putAt}); everything above is handed out by the bump allocator. Only the host's calls to
 * {@link #malloc} are recorded in {@link #allocations} (and {@code malloc(0)} fails the test): what
 * a test places for itself ({@link #put}, {@link #slices}, {@link #i32s}, {@link #outParams}) is
 * not, so tests can check exactly what the host allocated.
 */
public final class TestMemory implements GuestAllocator {
    /** Garbage out-params are pre-filled with, to see that the host wrote them. */
    public static final int GARBAGE = 0x7777_7770;

    /** The first address the bump allocator hands out. */
    public static final int HEAP_START = 32 * 1024;

    public final Memory memory;

    /** The sizes the host asked {@link #malloc} for, in order. */
    public final List<Integer> allocations = new ArrayList<>();

    private int next = HEAP_START;

    /** A memory of exactly {@code pages} 64 KiB pages, so tests can point just past its end. */
    public TestMemory(int pages) {
        this.memory = new ByteArrayMemory(new MemoryLimits(pages, pages));
    }

    /** The guest's malloc as the host sees it: refuses 0 bytes and records every size. */
    @Override
    public int malloc(int size) {
        if (size <= 0) {
            throw new AssertionError("the host called malloc(" + size + ")");
        }
        allocations.add(size);
        return bump(size);
    }

    private int bump(int size) {
        int p = next;
        next += (Math.max(1, size) + 7) & ~7;
        return p;
    }

    // --- placing arguments -------------------------------------------------------------------

    /** Copies {@code s} (UTF-8) into fresh memory; returns its pointer. */
    public int put(String s) {
        return put(s.getBytes(UTF_8));
    }

    /** Copies {@code b} into fresh memory; returns its pointer. */
    public int put(byte[] b) {
        int p = bump(b.length);
        memory.write(p, b);
        return p;
    }

    /**
     * Writes {@code text} (UTF-8) at the fixed address {@code ptr}; returns its length in bytes.
     */
    public int putAt(int ptr, String text) {
        byte[] b = text.getBytes(UTF_8);
        memory.write(ptr, b);
        return b.length;
    }

    /** An array of GuestSlices pointing at copies of {@code values}; returns its pointer. */
    public int slices(String... values) {
        byte[][] bytes = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = values[i].getBytes(UTF_8);
        }
        return byteSlices(bytes);
    }

    /** An array of GuestSlices pointing at copies of raw {@code values}; returns its pointer. */
    public int byteSlices(byte[]... values) {
        int array = bump(values.length * 8);
        for (int i = 0; i < values.length; i++) {
            memory.writeI32(array + i * 8, put(values[i]));
            memory.writeI32(array + i * 8 + 4, values[i].length);
        }
        return array;
    }

    /** An array of i32 {@code values} (say, handles); returns its pointer. */
    public int i32s(int... values) {
        int array = bump(values.length * 4);
        for (int i = 0; i < values.length; i++) {
            memory.writeI32(array + i * 4, values[i]);
        }
        return array;
    }

    /** Two adjacent i32 out-params, pre-filled with garbage; returns the first's address. */
    public int outParams() {
        int p = bump(8);
        memory.writeI32(p, GARBAGE);
        memory.writeI32(p + 4, GARBAGE);
        return p;
    }

    // --- reading results ---------------------------------------------------------------------

    public int i32(int ptr) {
        return memory.readInt(ptr);
    }

    public byte[] bytes(int ptr, int len) {
        return memory.readBytes(ptr, len);
    }

    public String string(int ptr, int len) {
        return new String(bytes(ptr, len), UTF_8);
    }

    /** The two i32 out-params at {@code out}, as {@code [ptr, len]}. */
    public List<Integer> pairOut(int out) {
        return List.of(i32(out), i32(out + 4));
    }

    /** The bytes behind out-params {@code (ptr, len)} at {@code out}. */
    public byte[] bytesOut(int out) {
        return bytes(i32(out), i32(out + 4));
    }

    /** The UTF-8 string behind out-params {@code (ptr, len)} at {@code out}. */
    public String stringOut(int out) {
        return new String(bytesOut(out), UTF_8);
    }

    /** The GuestSlice array behind out-params at {@code out}, as strings. */
    public List<String> slicesOut(int out) {
        List<String> values = new ArrayList<>();
        for (byte[] b : rawSlicesOut(out)) {
            values.add(new String(b, UTF_8));
        }
        return values;
    }

    /** The GuestSlice array behind out-params at {@code out}, as raw items. */
    public List<byte[]> rawSlicesOut(int out) {
        int array = i32(out);
        int n = i32(out + 4);
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            values.add(bytes(i32(array + i * 8), i32(array + i * 8 + 4)));
        }
        return values;
    }

    // --- contexts ----------------------------------------------------------------------------

    /** A context builder over this memory and allocator, for {@code request}. */
    public CallContext.Builder builder(GuestRequest request) {
        return CallContext.builder("test-guest", request).memory(memory, this);
    }

    /** A context builder over this memory and allocator, for a plain {@code GET /}. */
    public CallContext.Builder builder() {
        return builder(request("GET", "/", new Headers(), null));
    }

    public CallContext context(GuestRequest request) {
        return builder(request).build();
    }

    /** A request from 127.0.0.1 for host {@code example.com}, as {@link TestEngine} routes it. */
    public static GuestRequest request(String method, String target, Headers headers, String body) {
        return new GuestRequest(
                method,
                target,
                "example.com",
                headers,
                body == null ? null : body.getBytes(UTF_8),
                "127.0.0.1");
    }
}
