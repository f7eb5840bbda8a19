package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link FlatMemory} against Chicory's own {@link ByteArrayMemory} as the oracle: the same random
 * operations, most of them near the ends of memory and across its 64 KiB pages, must give the same
 * values, the same contents and the same traps ("out of bounds memory access").
 */
class FlatMemoryTest {
    private static final int PAGES = 2;

    @Test
    void everyOperationMatchesChicorysMemoryAtTheEdgesAndInBetween() {
        Random random = new Random(17);
        Memory flat = new FlatMemory(new MemoryLimits(PAGES, 4));
        Memory oracle = new ByteArrayMemory(new MemoryLimits(PAGES, 4));
        for (int step = 0; step < 200_000; step++) {
            int size = flat.pages() * Memory.PAGE_SIZE;
            int addr = address(random, size);
            long value = random.nextLong();
            switch (random.nextInt(20)) {
                case 0 -> same(m -> m.readInt(addr), flat, oracle);
                case 1 -> same(m -> m.readLong(addr), flat, oracle);
                case 2 -> same(m -> m.readShort(addr), flat, oracle);
                case 3 -> same(m -> m.read(addr), flat, oracle);
                case 4 -> same(m -> m.readU16(addr), flat, oracle);
                case 5 -> same(m -> m.readF32(addr), flat, oracle);
                case 6 -> same(m -> m.readF64(addr), flat, oracle);
                case 7 -> same(m -> run(() -> m.writeI32(addr, (int) value)), flat, oracle);
                case 8 -> same(m -> run(() -> m.writeLong(addr, value)), flat, oracle);
                case 9 -> same(m -> run(() -> m.writeShort(addr, (short) value)), flat, oracle);
                case 10 -> same(m -> run(() -> m.writeByte(addr, (byte) value)), flat, oracle);
                case 11 -> same(m -> run(() -> m.writeF64(addr, (double) value)), flat, oracle);
                case 16 -> same(m -> Float.floatToRawIntBits(m.readFloat(addr)), flat, oracle);
                case 17 -> same(m -> Double.doubleToRawLongBits(m.readDouble(addr)), flat, oracle);
                case 18 ->
                        same(
                                m -> run(() -> m.writeF32(addr, Float.intBitsToFloat((int) value))),
                                flat,
                                oracle);
                case 12 -> {
                    int len = random.nextInt(300) - 10;
                    same(m -> m.readBytes(addr, len), flat, oracle);
                }
                case 13 -> {
                    byte[] data = new byte[random.nextInt(300)];
                    random.nextBytes(data);
                    // the source range is the host's own and always valid
                    int off = random.nextInt(data.length + 1);
                    int len = random.nextInt(data.length - off + 1);
                    same(m -> run(() -> m.write(addr, data, off, len)), flat, oracle);
                }
                case 14 -> {
                    int len = random.nextInt(300) - 10;
                    same(m -> run(() -> m.fill((byte) value, addr, addr + len)), flat, oracle);
                }
                case 15 -> {
                    int src = address(random, size);
                    int len = random.nextInt(300) - 10;
                    same(m -> run(() -> m.copy(addr, src, len)), flat, oracle);
                }
                default -> {
                    if (random.nextInt(2000) == 0) {
                        int pages = random.nextInt(4);
                        same(m -> m.grow(pages), flat, oracle);
                        same(Memory::pages, flat, oracle);
                    }
                }
            }
        }
        int size = flat.pages() * Memory.PAGE_SIZE;
        assertArrayEquals(oracle.readBytes(0, size), flat.readBytes(0, size), "the contents");
    }

    @Test
    void growKeepsTheContentsAndStopsAtTheMaximum() {
        Memory m = new FlatMemory(new MemoryLimits(1, 3));
        m.writeLong(Memory.PAGE_SIZE - 8, 0x0102030405060708L);
        assertEquals(1, m.grow(1));
        assertEquals(0x0102030405060708L, m.readLong(Memory.PAGE_SIZE - 8));
        m.writeI32(2 * Memory.PAGE_SIZE - 4, 7);
        assertEquals(-1, m.grow(2), "past the maximum of 3 pages");
        assertEquals(2, m.grow(0));
        assertEquals(2, m.grow(1));
        assertEquals(7, m.readInt(2 * Memory.PAGE_SIZE - 4));
        WasmRuntimeException e =
                assertThrows(WasmRuntimeException.class, () -> m.readInt(3 * Memory.PAGE_SIZE - 3));
        assertEquals(
                "out of bounds memory access: attempted to access address: 196605 but limit is:"
                        + " 196608 and size: 4",
                e.getMessage());
    }

    private static Object run(Runnable r) {
        r.run();
        return null;
    }

    /** Mostly near 0, the page boundary and the end; sometimes anywhere, or negative. */
    private static int address(Random random, int size) {
        return switch (random.nextInt(6)) {
            case 0 -> random.nextInt(16) - 8;
            case 1 -> Memory.PAGE_SIZE + random.nextInt(16) - 8;
            case 2, 3 -> size + random.nextInt(24) - 16;
            case 4 -> random.nextInt(size);
            default -> random.nextInt();
        };
    }

    private static String kind(String message) {
        int colon = message == null ? -1 : message.indexOf(':');
        return colon < 0 ? message : message.substring(0, colon);
    }

    /** The same result on both, or the same trap. */
    private static void same(Function<Memory, Object> op, Memory flat, Memory oracle) {
        Object expected;
        try {
            expected = op.apply(oracle);
        } catch (RuntimeException e) {
            RuntimeException got = assertThrows(RuntimeException.class, () -> op.apply(flat));
            assertEquals(e.getClass(), got.getClass(), e.getMessage());
            // the same trap; its detail may differ: Chicory's memory reads an access that crosses
            // the end byte by byte and names the first byte outside, this one the whole access
            assertEquals(kind(e.getMessage()), kind(got.getMessage()), got.getMessage());
            return;
        }
        Object actual = op.apply(flat);
        if (expected instanceof byte[] b) {
            assertArrayEquals(b, (byte[]) actual);
        } else {
            assertEquals(expected, actual);
        }
    }
}
