package dev.vivarium.core.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandleTableTest {
    @Test
    void handlesStartAtOneAndAreNeverGivenOutTwice() {
        HandleTable<String> t = new HandleTable<>("request", 2);
        assertEquals(1, t.insert("a"));
        assertEquals(2, t.insert("b"));
        assertEquals(-1, t.insert("c"), "full");
        assertEquals("a", t.take(1));
        assertNull(t.take(1), "consumed");
        assertEquals(3, t.insert("c"), "room again, under a new handle");
        assertNull(t.get(1), "the stale handle stays invalid");
        assertNull(t.get(0));
        assertNull(t.get(-1));
        assertEquals(2, t.live());
    }

    @Test
    void aGuestThatChurnsHandlesLeavesOnlyItsLiveValuesHeld() {
        HandleTable<Integer> t = new HandleTable<>("request", 1);
        int h = 0;
        for (int i = 0; i < 1_000_000; i++) {
            h = t.insert(i);
            assertEquals(i, t.take(h));
        }
        assertEquals(1_000_000, h);
        assertEquals(0, t.live());
        List<Integer> closed = new ArrayList<>();
        t.insert(7);
        t.closeAll(closed::add);
        assertEquals(List.of(7), closed);
        assertEquals(0, t.live());
    }
}
