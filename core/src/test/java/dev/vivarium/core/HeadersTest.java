package dev.vivarium.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The header multimap keeps order, lower-cases names and counts its length exactly. */
class HeadersTest {
    @Test
    void addSetRemoveKeepOrderAndLength() {
        Headers h = new Headers();
        for (int i = 0; i < 10; i++) {
            // past the first array's 4 pairs, twice
            h.add("X-" + (i % 3), "v" + i);
        }
        assertEquals(10, h.size());
        assertEquals(List.of("x-0", "x-1", "x-2"), h.names());
        assertEquals(List.of("v0", "v3", "v6", "v9"), h.values("X-0"));
        assertEquals("v1", h.first("x-1"));
        assertEquals(10 * 3 + 10 * 2, h.length());

        h.set("x-1", List.of("a", "b"));
        assertEquals(List.of("a", "b"), h.values("x-1"));
        assertEquals(List.of("x-0", "x-2", "x-1"), h.names());
        h.set("x-0", "only");
        assertEquals(List.of("only"), h.values("x-0"));
        h.remove("X-2");
        assertNull(h.first("x-2"));
        assertEquals(List.of("x-1", "x-1", "x-0"), List.of(h.nameAt(0), h.nameAt(1), h.nameAt(2)));
        assertEquals(3, h.size());
        assertEquals(3 + 1 + 3 + 1 + 3 + 4, h.length());
        assertThrows(IndexOutOfBoundsException.class, () -> h.nameAt(3));
        assertThrows(IndexOutOfBoundsException.class, () -> h.valueAt(-1));

        Headers copy = h.copy();
        h.add("x-3", "later");
        assertEquals(3, copy.size());
        assertEquals(h.length() - 3 - 5, copy.length());
        copy.add("x-4", "in the copy");
        assertNull(h.first("x-4"));

        List<String> written = new ArrayList<>();
        h.add("Connection", "close");
        h.writeEndToEnd((n, v, first) -> written.add(n + "=" + v + (first ? "!" : "")));
        assertEquals(List.of("x-1=a!", "x-1=b", "x-0=only!", "x-3=later!"), written);
        assertEquals("{x-1: a, x-1: b, x-0: only, x-3: later, connection: close}", h.toString());
    }

    @Test
    void emptyHeadersAndTheirCopy() {
        Headers h = new Headers();
        assertEquals(0, h.size());
        assertEquals(List.of(), h.names());
        assertEquals(List.of(), h.values("x"));
        h.remove("x");
        Headers copy = h.copy();
        copy.add("a", "b");
        assertEquals(0, h.size());
        assertEquals(1, copy.size());
    }
}
