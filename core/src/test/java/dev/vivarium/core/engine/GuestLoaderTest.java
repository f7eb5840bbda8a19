package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class GuestLoaderTest {
    private static Path fixture(String name) {
        return TestGuests.watFixtures().resolve(name);
    }

    private static String failure(Path file) {
        return assertThrows(GuestLoadException.class, () -> GuestLoader.load(file, 256))
                .getMessage();
    }

    @Test
    void loadsWatAndRecordsShape() throws Exception {
        GuestModule g = GuestLoader.load(fixture("hello_raw.wat"), 256);
        assertEquals("hello_raw.wat", g.name());
        assertTrue(g.resettable());
        assertFalse(g.hasInitialize());
        assertEquals(1, g.memoryLimits().initialPages());
    }

    @Test
    void importWithWrongTypeNamesImportTypeAndExpectation() {
        assertEquals(
                "bad_import.wat: import \"env\".\"hostcall_resp_set_body\" has type (i32 i32) -> i32,"
                        + " expected (i32 i32 i32) -> i32",
                failure(fixture("bad_import.wat")));
    }

    @Test
    void unknownImportIsRefused() {
        String m = failure(fixture("unknown_import.wat"));
        assertEquals(
                "unknown_import.wat: import \"env\".\"hostcall_teleport\" is not a hostcall this"
                        + " host provides; hostcalls are imported from \"env\" (see guests/ABI.md)",
                m);
    }

    @Test
    void wasiImportsOutsideTheSubsetAreRefusedInOneMessageThatNamesThem() {
        assertEquals(
                "wasi_unsupported.wat: imports WASI functions fd_read, path_open from"
                        + " \"wasi_snapshot_preview1\", which this host does not provide; it provides"
                        + " only fd_write, fd_seek, fd_close, fd_fdstat_get, fd_prestat_get,"
                        + " fd_prestat_dir_name, proc_exit, environ_sizes_get, environ_get,"
                        + " args_sizes_get, args_get, clock_time_get, random_get (see guests/ABI.md,"
                        + " \"WASI subset\")",
                failure(fixture("wasi_unsupported.wat")));
    }

    @Test
    void aLibcGuestImportingTheWasiSubsetLoads() throws Exception {
        GuestModule g = GuestLoader.load(TestGuests.dist().resolve("hello_libc.wasm"), 256);
        assertTrue(g.resettable());
        assertFalse(g.hasInitialize(), "built with plain flags: no reactor");
    }

    @Test
    void missingOrMistypedRunIsRefused() {
        assertEquals(
                "no_run.wat: missing export \"run\" (a function () -> ())",
                failure(fixture("no_run.wat")));
        assertEquals(
                "run_wrong_type.wat: export \"run\" has type () -> i32, expected () -> ()",
                failure(fixture("run_wrong_type.wat")));
    }

    @Test
    void corruptFilesGiveAClearErrorNotAStackTrace(@TempDir Path dir) throws Exception {
        Path notWasm = dir.resolve("notes.wasm");
        Files.writeString(notWasm, "hello");
        assertEquals(
                "notes.wasm: not a WebAssembly module (no \\0asm header; 5 bytes)",
                failure(notWasm));

        Path truncated = dir.resolve("truncated.wasm");
        byte[] good = GuestLoaderTestSupport.wasmOf(fixture("hello_raw.wat"));
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length / 2));
        assertTrue(failure(truncated).startsWith("truncated.wasm: malformed WebAssembly module: "));

        Path badText = dir.resolve("typo.wat");
        Files.writeString(
                badText, "(module (func (export \"run\") (i32.konst 1)))", StandardCharsets.UTF_8);
        // wat2wasm's own message, with the line and column of the mistake
        assertEquals(
                "typo.wat: invalid WebAssembly text: typo.wat:1:31: error: unexpected token"
                        + " \"i32.konst\", expected an instr.",
                failure(badText));
        Path notText = dir.resolve("notes.wat");
        Files.writeString(notText, "hello world", StandardCharsets.UTF_8);
        assertTrue(
                failure(notText)
                        .startsWith("notes.wat: invalid WebAssembly text: notes.wat:1:1: error: "),
                failure(notText));

        assertTrue(
                failure(dir.resolve("absent.wasm"))
                        .startsWith("absent.wasm: guest file not found at "));
    }

    @Test
    void guestsThatMutateTablesAreNotReset() throws Exception {
        GuestModule g = GuestLoader.load(fixture("table_set.wat"), 256);
        assertFalse(g.resettable());
        assertTrue(g.resetBlocker().contains("TABLE_SET"), g.resetBlocker());
    }

    @Test
    void guestsWithAStartFunctionAreNotReset() throws Exception {
        GuestModule g = GuestLoader.load(fixture("start_function.wat"), 256);
        assertFalse(g.resettable());
        assertEquals("has a start function, which runs at instantiation", g.resetBlocker());
    }

    @Test
    void aSecondMemoryIsRefused(@TempDir Path dir) throws Exception {
        // (module (memory 1) (memory 1) (func (export "run"))): multi-memory, which WAT tools
        // here do not assemble without a flag, written out by hand
        byte[] module = {
            0x00,
            0x61,
            0x73,
            0x6d,
            0x01,
            0x00,
            0x00,
            0x00, // magic, version
            0x01,
            0x04,
            0x01,
            0x60,
            0x00,
            0x00, // types: () -> ()
            0x03,
            0x02,
            0x01,
            0x00, // functions: one of type 0
            0x05,
            0x05,
            0x02,
            0x00,
            0x01,
            0x00,
            0x01, // memories: two, 1 page each
            0x07,
            0x07,
            0x01,
            0x03,
            'r',
            'u',
            'n',
            0x00,
            0x00, // export "run"
            0x0a,
            0x04,
            0x01,
            0x02,
            0x00,
            0x0b // code: an empty body
        };
        Path file = dir.resolve("two_memories.wasm");
        Files.write(file, module);
        assertTrue(
                failure(file)
                        .startsWith(
                                "two_memories.wasm: uses the multi-memory proposal (2 memories; a"
                                        + " guest may have one: the ABI's pointers address one);"),
                failure(file));
    }

    @Test
    void initialMemoryAboveTheCapIsRefused() {
        String m =
                assertThrows(
                                GuestLoadException.class,
                                () -> GuestLoader.load(fixture("hello_raw.wat"), 0))
                        .getMessage();
        assertTrue(m.contains("more than maxMemoryPages (0)"), m);
    }
}
