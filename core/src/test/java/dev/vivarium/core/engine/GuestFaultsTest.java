package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.MalformedException;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.testing.TestEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, items 9 and 11: what a guest did wrong is its fault, said in plain words; and its
 * allocator is its own code.
 */
@Timeout(60)
class GuestFaultsTest {
    @Test
    void initMmNamingAnImportedHostcallIsRefused(@TempDir Path dir) throws Exception {
        // the table's entry 0 is an imported hostcall of malloc's type (i32) -> i32
        Files.writeString(
                dir.resolve("imported_malloc.wat"),
                """
                (module
                  (import "env" "hostcall_init_mm" (func $init_mm (param i32 i32)))
                  (import "env" "hostcall_resp_get_response_code"
                    (func $code (param i32) (result i32)))
                  (memory 1)
                  (table 2 funcref)
                  (elem (i32.const 0) $code $free)
                  (func $free (param i32))
                  (func (export "run") (call $init_mm (i32.const 0) (i32.const 1))))
                """);
        try (TestEngine t = TestEngine.start(dir, b -> {}, "/m -> imported_malloc.wat")) {
            Outcome o = t.get("/m");
            // before: 200, and the host would have called the hostcall as the guest's malloc
            assertEquals(Outcome.Kind.TRAP, o.kind(), o.toString());
            assertEquals(500, o.status());
            assertTrue(
                    o.message()
                            .contains(
                                    "malloc index 0 is the imported hostcall"
                                            + " hostcall_resp_get_response_code, not a function"
                                            + " defined in the guest"),
                    o.message());
        }
    }

    private static <T extends Throwable> T thrownAt(T t, String... classes) {
        StackTraceElement[] trace = new StackTraceElement[classes.length];
        for (int i = 0; i < classes.length; i++) {
            trace[i] = new StackTraceElement(classes[i], "m", null, -1);
        }
        t.setStackTrace(trace);
        return t;
    }

    @Test
    void anExceptionFromGuestCodeIsTheGuestsFaultOneFromAHostcallIsNot() {
        // e.g. a negative array size in code Chicory compiled: the dispatcher ran the guest
        assertTrue(
                GuestFaults.thrownInGuest(
                        thrownAt(
                                new NegativeArraySizeException("-1"),
                                "com.dylibso.chicory.gen.CompiledMachine",
                                "com.dylibso.chicory.runtime.Instance",
                                Dispatcher.class.getName())));
        // the same thrown by a hostcall is a host failure
        assertFalse(
                GuestFaults.thrownInGuest(
                        thrownAt(
                                new NegativeArraySizeException("-1"),
                                "dev.vivarium.core.abi.RequestHostcalls",
                                "com.dylibso.chicory.gen.CompiledMachine",
                                Dispatcher.class.getName())));
    }

    @Test
    void clientMessagesCarryNoJavaText() {
        assertEquals("negative array size", GuestFaults.describe(new NegativeArraySizeException()));
        assertEquals(
                "out of bounds access",
                GuestFaults.describe(
                        new ArrayIndexOutOfBoundsException(
                                "Index -32768 out of bounds for length 5")));
        assertEquals(
                "the server ran out of memory",
                GuestFaults.describe(new OutOfMemoryError("Java heap space")));
        assertEquals(
                "content ends before its declared size",
                GuestFaults.describe(new java.nio.BufferUnderflowException()));
        // a wasm engine's own words pass, unless they carry Java's
        assertEquals(
                "unexpected end of section",
                GuestFaults.describe(new MalformedException("Unexpected end of section")));
        assertEquals(
                "invalid or unsupported content",
                GuestFaults.describe(new MalformedException("newPosition < 0: (-5 < 0)")));
        assertEquals(
                "out of bounds access",
                GuestFaults.describe(
                        new MalformedException(
                                "java.lang.ArrayIndexOutOfBoundsException: Index 4",
                                new ArrayIndexOutOfBoundsException("Index 4"))));
    }
}
