package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
        CallContext ctx =
                CallContext.builder(
                                "reset_state.wat",
                                TestMemory.request("GET", "/", new Headers(), null))
                        .build();
        ctx.bind(p.instance);
        p.slot.set(ctx);
        p.run.apply();
        p.slot.set(null);
    }

    @Test
    void resetInstanceEqualsANewInstance() throws Exception {
        GuestModule guest =
                GuestLoader.load(TestGuests.watFixtures().resolve("reset_state.wat"), 16);
        assertTrue(guest.resettable(), guest.resetBlocker());
        InstancePool pool = new InstancePool(guest, 1);
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
}
