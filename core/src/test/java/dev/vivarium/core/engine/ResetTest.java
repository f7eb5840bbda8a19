package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import dev.vivarium.core.Headers;
import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.core.testing.TestMemory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** A reset instance is indistinguishable from a new one: memory, its size and every global. */
@Timeout(60)
class ResetTest {
    private record State(int pages, byte[] memory, List<Long> globals) {}

    private static State state(Instance instance) {
        Memory m = instance.memory();
        List<Long> globals = new ArrayList<>();
        for (int i = 0; i < instance.globalCount(); i++) {
            globals.add(instance.global(i).getValueLow());
            globals.add(instance.global(i).getValueHigh());
        }
        return new State(m.pages(), m.readBytes(0, m.pages() * Memory.PAGE_SIZE), globals);
    }

    private static void run(InstancePool pool, PooledInstance p) {
        run(pool, p, "reset_state.wat", "run", "/");
    }

    /** Calls {@code export} with a request context bound, as the dispatcher calls run. */
    private static void run(
            InstancePool pool, PooledInstance p, String name, String export, String path) {
        CallContext ctx =
                CallContext.builder(name, TestMemory.request("GET", path, new Headers(), null))
                        .build();
        ctx.bind(p.instance);
        p.slot.set(ctx);
        p.instance.export(export).apply();
        p.slot.set(null);
    }

    /** Each way of writing memory, alone, then a reset: the instance equals a new one again. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "run",
                "w_host_bytes",
                "w_i32",
                "w_i64",
                "w_i16",
                "w_i8",
                "w_f32",
                "w_f64",
                "w_fill",
                "w_copy",
                "w_init",
                "w_data",
                "w_spill"
            })
    void aResetUndoesEveryKindOfWrite(String export) throws Exception {
        GuestModule guest =
                GuestLoader.load(TestGuests.watFixtures().resolve("reset_writes.wat"), 16);
        assertTrue(guest.resettable(), guest.resetBlocker());
        InstancePool pool = new InstancePool(guest, 1, new MemoryBudget(1L << 30));
        State fresh = state(pool.acquire().instance);
        PooledInstance used = pool.acquire();
        for (int round = 0; round < 2; round++) {
            if (export.equals("run") || export.equals("w_host_bytes")) {
                // a path of 9000 bytes: one host buffer write across several 4 KiB chunks
                run(pool, used, "reset_writes.wat", export, "/" + "a".repeat(9000));
            } else {
                used.instance.export(export).apply();
            }
            State dirty = state(used.instance);
            assertFalse(
                    java.util.Arrays.equals(fresh.memory(), dirty.memory()),
                    export + " changed memory");
            int chunks = ((TrackedMemory) used.instance.memory()).writtenChunks();
            // the reset zeroes what was written, not all 32 chunks of the 2 pages
            assertTrue(chunks >= 1 && chunks <= 4, export + " marked " + chunks + " chunks");
            used.reset();
            assertArrayEquals(fresh.memory(), state(used.instance).memory(), export);
            assertEquals(0, ((TrackedMemory) used.instance.memory()).writtenChunks(), export);
        }
    }

    /**
     * Real guests (Rust, C, C with libc) after real requests, reset: byte for byte a new instance.
     * They write their stack, heap and statics in different places, and the host writes the request
     * into their heap.
     */
    @ParameterizedTest
    @CsvSource({
        "hello.wasm, true",
        "hello_c.wasm, true",
        "hello_libc.wasm, true",
        "echo.wasm, true",
        "hello.wasm, false",
        "hello_c.wasm, false",
        "echo.wasm, false"
    })
    void aResetAfterARealRequestEqualsANewInstance(String name, boolean tracked) throws Exception {
        GuestModule guest = GuestLoader.load(TestGuests.dist().resolve(name), 256);
        assertTrue(guest.resettable(), guest.resetBlocker());
        InstancePool pool = new InstancePool(guest, 1, new MemoryBudget(1L << 30));
        pool.trackWrites(tracked);
        State fresh = state(pool.acquire().instance);
        PooledInstance used = pool.acquire();
        assertEquals(tracked, used.tracksWrites());
        for (String path : List.of("/", "/" + "x".repeat(20_000), "/a?b=c", "/")) {
            Headers headers = new Headers();
            headers.add("x-request", "y".repeat(path.length()));
            CallContext ctx =
                    CallContext.builder(name, TestMemory.request("POST", path, headers, "body"))
                            .build();
            ctx.bind(used.instance);
            used.slot.set(ctx);
            used.run.apply();
            used.slot.set(null);
            assertTrue(ctx.status() == 200, name + " answered " + ctx.status());
            State dirty = state(used.instance);
            assertFalse(java.util.Arrays.equals(fresh.memory(), dirty.memory()), name);
            used.reset();
            State reset = state(used.instance);
            assertEquals(fresh.pages(), reset.pages(), name + " " + path);
            assertEquals(fresh.globals(), reset.globals(), name + " " + path);
            assertArrayEquals(fresh.memory(), reset.memory(), name + " " + path);
        }
    }

    @Test
    void resetInstanceEqualsANewInstance() throws Exception {
        GuestModule guest =
                GuestLoader.load(TestGuests.watFixtures().resolve("reset_state.wat"), 16);
        assertTrue(guest.resettable(), guest.resetBlocker());
        InstancePool pool = new InstancePool(guest, 1, new MemoryBudget(1L << 30));
        State fresh = state(pool.acquire().instance);

        PooledInstance used = pool.acquire();
        run(pool, used);
        State dirty = state(used.instance);
        assertEquals(5, dirty.pages());
        assertNotEquals(fresh.globals(), dirty.globals(), "the guest changed its globals");

        used.reset();
        State reset = state(used.instance);
        assertEquals(fresh.pages(), reset.pages());
        assertEquals(fresh.globals(), reset.globals());
        assertArrayEquals(fresh.memory(), reset.memory());

        // and again: a second run behaves exactly like the first
        run(pool, used);
        assertEquals(dirty.globals(), state(used.instance).globals());
        assertArrayEquals(dirty.memory(), state(used.instance).memory());
    }

    /**
     * A reset after a request that grew memory replaces it; after one that did not, it is zeroed in
     * place and its data segments written again (from copies taken at instantiation). Either way,
     * in any order, the instance equals a new one byte for byte, and {@code memory.init} still
     * finds its passive segment in a replaced memory.
     */
    @Test
    void grownAndWrittenRequestsInAnyOrderEachResetToNew() throws Exception {
        GuestModule guest =
                GuestLoader.load(TestGuests.watFixtures().resolve("reset_grow_then_write.wat"), 16);
        assertTrue(guest.resettable(), guest.resetBlocker());
        InstancePool pool = new InstancePool(guest, 1, new MemoryBudget(1L << 30));
        State fresh = state(pool.acquire().instance);
        PooledInstance used = pool.acquire();
        for (String export : List.of("write", "grow", "write", "write", "grow", "grow", "write")) {
            used.instance.export(export).apply();
            State dirty = state(used.instance);
            assertEquals(export.equals("grow") ? 3 : 1, dirty.pages(), export);
            assertNotEquals(fresh.globals(), dirty.globals(), export);
            assertFalse(java.util.Arrays.equals(fresh.memory(), dirty.memory()), export);
            used.reset();
            State reset = state(used.instance);
            assertEquals(fresh.pages(), reset.pages(), export);
            assertEquals(fresh.globals(), reset.globals(), export);
            assertArrayEquals(fresh.memory(), reset.memory(), export);
        }
    }

    /**
     * A pool tracks writes while its requests are short and gives new instances a plain memory once
     * even the shortest of a window is long (a store-heavy guest pays a compare per store for
     * tracking); short requests bring tracking back, with a margin against switching back and
     * forth. The instances of the other kind are not reused.
     */
    @Test
    void writesAreTrackedWhileRequestsAreShort() throws Exception {
        GuestModule guest =
                GuestLoader.load(TestGuests.watFixtures().resolve("reset_writes.wat"), 16);
        InstancePool pool = new InstancePool(guest, 4, new MemoryBudget(1L << 30));
        long limit = 2 * InstancePool.TRACK_NANOS_PER_PAGE; // 2 initial pages
        assertTrue(pool.tracksWrites(), "a new pool tracks writes");
        PooledInstance tracked = pool.acquire();
        assertTrue(tracked.tracksWrites());
        pool.release(tracked, true, 1_000);
        for (int i = 0; i < InstancePool.WINDOW - 1; i++) {
            pool.release(pool.acquire(), true, i == 10 ? 1_000 : 10 * limit);
        }
        assertTrue(pool.tracksWrites(), "one short request in the window keeps tracking");
        PooledInstance held = pool.acquire();
        assertTrue(held.tracksWrites());
        for (int i = 0; i < InstancePool.WINDOW; i++) {
            pool.release(pool.acquire(), true, limit + 1);
        }
        assertFalse(pool.tracksWrites(), "a window of long requests ends tracking");
        PooledInstance plain = pool.acquire();
        assertFalse(plain.tracksWrites(), "new instances get a plain memory");
        long discarded = pool.discarded();
        pool.release(held, true, limit + 1);
        assertEquals(discarded + 1, pool.discarded(), "a tracked instance is not reused then");
        plain.instance.export("w_i32").apply();
        pool.release(plain, true, limit / 2 + 1);
        for (int i = 0; i < InstancePool.WINDOW - 2; i++) {
            pool.release(pool.acquire(), true, limit / 2 + 1);
        }
        assertFalse(pool.tracksWrites(), "under the limit but not under half of it: unchanged");
        PooledInstance again = pool.acquire();
        assertFalse(again.tracksWrites());
        // the plain instance that wrote was reset in full
        State fresh =
                state(new InstancePool(guest, 1, new MemoryBudget(1L << 30)).acquire().instance);
        assertArrayEquals(fresh.memory(), state(again.instance).memory());
        pool.release(again, true, 1_000);
        for (int i = 0; i < InstancePool.WINDOW; i++) {
            pool.release(pool.acquire(), true, 1_000);
        }
        assertTrue(pool.tracksWrites(), "short requests bring tracking back");
        assertTrue(pool.acquire().tracksWrites());
    }
}
