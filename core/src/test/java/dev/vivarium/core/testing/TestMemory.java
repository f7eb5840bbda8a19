package dev.vivarium.core.testing;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.abi.GuestAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A standalone guest memory with a bump allocator, for hostcall tests that run no guest. It records
 * every allocation, so tests can check the host never asks for 0 bytes.
 */
public final class TestMemory implements GuestAllocator {
    public final Memory memory;
    public final List<Integer> allocations = new ArrayList<>();
    private int heap;

    public TestMemory(int pages) {
        this.memory = new ByteArrayMemory(new MemoryLimits(pages, pages));
        this.heap = 32 * 1024;
    }

    @Override
    public int malloc(int size) {
        if (size <= 0) {
            throw new AssertionError("the host called malloc(" + size + ")");
        }
        allocations.add(size);
        int p = heap;
        heap += (size + 7) & ~7;
        return p;
    }

    /** Writes {@code text} at {@code ptr}; returns its length in bytes. */
    public int put(int ptr, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        memory.write(ptr, b);
        return b.length;
    }

    public String string(int ptr, int len) {
        return new String(memory.readBytes(ptr, len), StandardCharsets.UTF_8);
    }

    /** Reads the GuestSlice array written to out-params at {@code ptrP}/{@code lenP}. */
    public List<String> slices(int ptrP, int lenP) {
        int array = memory.readInt(ptrP);
        int count = memory.readInt(lenP);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(string(memory.readInt(array + 8 * i), memory.readInt(array + 8 * i + 4)));
        }
        return out;
    }

    /** Writes a GuestSlice array at {@code at} pointing to copies of {@code values} after it. */
    public int putSlices(int at, String... values) {
        int data = at + 8 * values.length;
        for (int i = 0; i < values.length; i++) {
            int len = put(data, values[i]);
            memory.writeI32(at + 8 * i, data);
            memory.writeI32(at + 8 * i + 4, len);
            data += len;
        }
        return values.length;
    }

    public CallContext context(GuestRequest request) {
        return CallContext.builder("test.wasm", request).memory(memory, this).build();
    }

    public static GuestRequest request(String method, String target, Headers headers, String body) {
        return new GuestRequest(
                method,
                target,
                "example.com",
                headers,
                body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                "127.0.0.1");
    }
}
