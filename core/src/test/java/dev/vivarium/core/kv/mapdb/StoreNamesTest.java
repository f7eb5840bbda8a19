package dev.vivarium.core.kv.mapdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class StoreNamesTest {
    @Test
    void encodesEveryIdToASafeNameAndBack() {
        assertEquals("shop-1_a", StoreNames.encode("shop-1_a"));
        assertEquals("%2E%2E%2Fetc", StoreNames.encode("../etc"));
        assertEquals("%41pp", StoreNames.encode("App"), "upper case stays apart from lower case");
        assertEquals("%C3%BC", StoreNames.encode("ü"));
        for (String id : new String[] {"shop", "../etc", "App", "ü", "a%2Fb", ".", "a b"}) {
            assertEquals(id, StoreNames.decode(StoreNames.encode(id)), id);
        }
    }

    @Test
    void namesThatEncodeCouldNotHaveMadeAreNotStores() {
        assertNull(StoreNames.decode("App"), "upper case is always escaped");
        assertNull(StoreNames.decode("a.b"));
        assertNull(StoreNames.decode("%2"));
        assertNull(StoreNames.decode("%zz"));
        assertNull(StoreNames.decode("%61"), "escaped where encode would not escape");
    }
}
