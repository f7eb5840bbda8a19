package dev.vivarium.core.engine;

import static dev.vivarium.core.testing.WasmBytes.body;
import static dev.vivarium.core.testing.WasmBytes.code;
import static dev.vivarium.core.testing.WasmBytes.exportRun;
import static dev.vivarium.core.testing.WasmBytes.functions;
import static dev.vivarium.core.testing.WasmBytes.module;
import static dev.vivarium.core.testing.WasmBytes.runTypeSection;
import static dev.vivarium.core.testing.WasmBytes.section;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.resources.NoMemoryException;
import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.core.testing.WasmBytes;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 18: modules a hostile tenant uploads, written byte by byte. Each is refused when it is
 * loaded, with a message naming the proposal or the limit, before Chicory parses it (when the
 * parser itself would run out of memory) or compiles it (when compiling would take minutes).
 */
@Timeout(60)
class HostileModulesTest {
    private static final long PAGE = 64 * 1024;

    private static String refusal(byte[] module) {
        return assertThrows(GuestLoadException.class, () -> GuestLoader.load("m.wasm", module, 256))
                .getMessage();
    }

    private static GuestLoadException refused(byte[] module) {
        return assertThrows(
                GuestLoadException.class, () -> GuestLoader.load("m.wasm", module, 256));
    }

    /** A module with {@code () -> ()} types and functions whose bodies are given. */
    private static byte[] runWith(WasmBytes... bodies) {
        return module(runTypeSection(), functions(bodies.length), exportRun(), code(bodies));
    }

    /** One memory with the given limits flags (and a minimum and maximum of 1 page). */
    private static byte[] memorySection(int flags) {
        WasmBytes limits = new WasmBytes().u32(1).b(flags).u32(1);
        if ((flags & 1) != 0) {
            limits.u32(1);
        }
        return section(5, limits);
    }

    /**
     * Like the issue's 53-byte module: {@code (type (array i8))} and a run that loops on {@code
     * array.new_default} of a million elements, never counted in {@code maxTotalMemory}.
     */
    static byte[] gcArrayLoop() {
        byte[] types =
                section(
                        1,
                        new WasmBytes()
                                .u32(2)
                                .b(0x5e, 0x78, 0x00) // (array i8), immutable
                                .b(0x60)
                                .u32(0)
                                .u32(0)); // () -> ()
        byte[] funcs = section(3, new WasmBytes().u32(1).u32(1));
        WasmBytes loop =
                body().b(0x03, 0x40) // loop
                        .b(0x41)
                        .s32(1_000_000) // i32.const 1000000
                        .b(0xfb, 0x07)
                        .u32(0) // array.new_default 0
                        .b(0x1a) // drop
                        .b(0x0c, 0x00) // br 0
                        .b(0x0b); // end
        return module(types, funcs, exportRun(), code(loop));
    }

    static Stream<Arguments> proposalsTheAbiDoesNotNeed() {
        byte[] structType = module(section(1, new WasmBytes().u32(1).b(0x5f).u32(1).b(0x7f, 0x01)));
        byte[] recGroup =
                module(section(1, new WasmBytes().u32(1).b(0x4e).u32(1).b(0x60).u32(0).u32(0)));
        byte[] anyrefParam =
                module(section(1, new WasmBytes().u32(1).b(0x60).u32(1).b(0x6e).u32(0)));
        byte[] refI31 = runWith(body().b(0x41, 0x01).b(0xfb, 0x1c).b(0x1a)); // ref.i31
        byte[] refNullAny = runWith(body().b(0xd0, 0x6e).b(0x1a)); // ref.null any
        // a tag section (13) between memory and global sections, tag 0 of type 0
        byte[] tag =
                module(
                        runTypeSection(),
                        functions(1),
                        section(13, new WasmBytes().u32(1).b(0x00).u32(0)),
                        exportRun(),
                        code(body()));
        // try_table with catch_all needs no tag: block type empty, one catch clause
        byte[] tryTable = runWith(body().b(0x1f, 0x40).u32(1).b(0x02).u32(0).b(0x0b));
        byte[] atomicLoad =
                module(
                        runTypeSection(),
                        functions(1),
                        memorySection(0x00),
                        exportRun(),
                        code(body().b(0x41, 0x00).b(0xfe, 0x10).u32(2).u32(0).b(0x1a)));
        byte[] sharedMemory =
                module(
                        runTypeSection(),
                        functions(1),
                        memorySection(0x03),
                        exportRun(),
                        code(body()));
        byte[] memory64 =
                module(
                        runTypeSection(),
                        functions(1),
                        memorySection(0x04),
                        exportRun(),
                        code(body()));
        byte[] twoMemories =
                module(
                        runTypeSection(),
                        functions(1),
                        section(5, new WasmBytes().u32(2).b(0x00).u32(1).b(0x00).u32(1)),
                        exportRun(),
                        code(body()));
        byte[] tableInitializer =
                module(
                        runTypeSection(),
                        functions(1),
                        section(4, new WasmBytes().u32(1).b(0x40, 0x00, 0x70, 0x00).u32(1)),
                        exportRun(),
                        code(body()));
        return Stream.of(
                Arguments.of("array type", gcArrayLoop(), "the GC proposal (an array type"),
                Arguments.of("struct type", structType, "the GC proposal (a struct type"),
                Arguments.of("rec group", recGroup, "the GC proposal (a recursive type group"),
                Arguments.of("anyref", anyrefParam, "the GC proposal (a GC reference type (0x6e)"),
                Arguments.of("ref.i31", refI31, "the GC proposal (ref.i31 (opcode 0xfb 0x1c)"),
                Arguments.of("ref.null any", refNullAny, "the GC proposal (ref.null"),
                Arguments.of("tag", tag, "the exception-handling proposal (a tag section"),
                Arguments.of("try_table", tryTable, "the exception-handling proposal (try_table"),
                Arguments.of("atomics", atomicLoad, "the threads proposal (i32.atomic_load"),
                Arguments.of(
                        "shared memory", sharedMemory, "the threads proposal (a shared memory"),
                Arguments.of("memory64", memory64, "the memory64 proposal (a 64-bit memory"),
                Arguments.of("two memories", twoMemories, "the multi-memory proposal (2 memories"),
                Arguments.of(
                        "table initializer",
                        tableInitializer,
                        "the typed function references proposal (a table with an initializer"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("proposalsTheAbiDoesNotNeed")
    void everyProposalTheAbiDoesNotNeedIsRefusedByName(String what, byte[] module, String named) {
        String m = refusal(module);
        assertTrue(m.startsWith("m.wasm: uses " + named), m);
        assertTrue(m.endsWith(ModuleScreen.SUPPORTED), m);
    }

    @Test
    void theIssuesGcModuleIsRefusedAtLoadAndNeverRuns() {
        GuestLoadException e = refused(gcArrayLoop());
        assertFalse(e.tooLarge(), "a proposal is a 400, not a 413");
    }

    @Test
    void aWasm2ModuleWithFuncrefTablesAndBulkMemoryStillLoads() throws Exception {
        // the Rust guests: one funcref table, elements, bulk memory, no refused proposal
        for (String guest : new String[] {"hello.wasm", "fixture_http.wasm", "hello_c.wasm"}) {
            GuestModule g = GuestLoader.load(TestGuests.dist().resolve(guest), 256);
            assertTrue(g.instanceOverhead() > 0, guest);
        }
    }

    // --- item 2: tables and globals ------------------------------------------------------------

    private static byte[] withTable(int min, Integer max, WasmBytes run) {
        WasmBytes table = new WasmBytes().u32(1).b(0x70).b(max == null ? 0x00 : 0x01).u32(min);
        if (max != null) {
            table.u32(max);
        }
        return module(
                runTypeSection(),
                functions(1),
                section(4, table),
                memorySection(0x00),
                exportRun(),
                code(run));
    }

    @Test
    void aTableOfTenMillionEntriesIsRefusedAtLoad() {
        // the issue's 47-byte module pinned 80 MB per warm instance
        GuestLoadException e = refused(withTable(10_000_000, null, body()));
        assertEquals(
                "m.wasm: table 0 has 10000000 entries, more than maxTableEntries (65536) for all"
                        + " tables together",
                e.getMessage());
        assertTrue(e.tooLarge());
    }

    @Test
    void aTableThatMayGrowPastTheLimitIsRefused() {
        // table.grow 0 (ref.null func, 1): it could reach Chicory's 10M-entry maximum
        WasmBytes grows = body().b(0xd0, 0x70).b(0x41, 0x01).b(0xfc).u32(15).u32(0).b(0x1a);
        String m = refusal(withTable(1, null, grows));
        assertTrue(
                m.startsWith("m.wasm: table 0 may grow to 10000000 entries (the module uses"), m);
        assertTrue(m.endsWith("; declare a smaller maximum"), m);
        // with a maximum under the limit it loads, and its maximum is what is counted
        assertDoesNotThrow(() -> GuestLoader.load("m.wasm", withTable(1, 1000, grows), 256));
    }

    @Test
    void tooManyGlobalsAreRefusedBeforeParsing() {
        WasmBytes globals = new WasmBytes().u32(2000);
        for (int i = 0; i < 2000; i++) {
            globals.b(0x7f, 0x01, 0x41, 0x00, 0x0b); // (global (mut i32) (i32.const 0))
        }
        byte[] module =
                module(
                        runTypeSection(),
                        functions(1),
                        section(6, globals),
                        exportRun(),
                        code(body()));
        assertEquals(
                "m.wasm: the module defines 2000 globals, more than maxGlobals (1024)",
                refusal(module));
    }

    @Test
    void tablesAndGlobalsAreCountedInTheMemoryBudget() throws Exception {
        // 60,000 entries: under maxTableEntries, but 480 KB an instance beside its 64 KiB page
        GuestModule guest = GuestLoader.load("t.wasm", withTable(60_000, 60_000, body()), 256);
        MemoryBudget budget = new MemoryBudget(1 << 20);
        InstancePool pool = new InstancePool(guest, 0, budget);
        PooledInstance first = pool.acquire();
        assertTrue(budget.used() >= PAGE + 60_000 * 8, budget.toString());
        // a second instance's 544 KB do not fit in 1 MiB: before, sixteen did
        NoMemoryException t = assertThrows(NoMemoryException.class, pool::acquire);
        assertTrue(t.getMessage().startsWith("no memory for a new instance"), t.getMessage());
        pool.release(first, true);
        assertEquals(0, budget.used(), "a discarded instance gives its tables back");
        pool.close();
    }

    // --- item 4: parse and compile budgets --------------------------------------------------

    /** One function: {@code block; i32.const 0; br_table 0 x targets, 0; end}. */
    private static WasmBytes brTable(int targets) {
        WasmBytes b = body().b(0x02, 0x40).b(0x41, 0x00).b(0x0e).u32(targets);
        for (int i = 0; i < targets; i++) {
            b.u32(0);
        }
        return b.u32(0).b(0x0b);
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aBrTableOfAMillionTargetsIsRefusedBeforeCompiling() {
        // compiling it took 240 s (and failed: no JVM method holds it)
        byte[] module = runWith(brTable(1_000_000));
        assertTrue(module.length > 1_000_000);
        GuestLoadException e = refused(module);
        assertEquals(
                "m.wasm: a br_table in function 0 has 1000000 targets; one br_table can have at"
                        + " most 16384 (more cannot be compiled to JVM bytecode)",
                e.getMessage());
        assertTrue(e.tooLarge());
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void manyLargeBrTablesAreRefusedByTheirTotal() {
        byte[] module =
                runWith(
                        brTable(16_000),
                        brTable(16_000),
                        brTable(16_000),
                        brTable(16_000),
                        brTable(16_000));
        assertEquals(
                "m.wasm: the br_table instructions up to function 4 have 80000 targets together,"
                        + " more than maxBrTableTargets (65536)",
                refusal(module));
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aSevenMegabyteFunctionIsRefusedBeforeParsing() {
        // it exhausted the heap in Chicory's parser: an empty 500
        WasmBytes huge = body();
        while (huge.size() < 7_000_000) {
            huge.b(0x41, 0x00, 0x1a); // i32.const 0, drop
        }
        GuestLoadException e = refused(runWith(huge));
        assertTrue(
                e.getMessage().startsWith("m.wasm: function body 0 of the code section is 700000"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith(" bytes, more than maxFunctionSize (1048576 bytes)"));
        assertTrue(e.tooLarge());
    }

    @Test
    void aFunctionNoJvmMethodCanHoldGetsAClearMessage() {
        // under maxFunctionSize, but its bytecode would be over 64 KiB
        WasmBytes big = body();
        while (big.size() < 100_000) {
            big.b(0x41, 0x00, 0x1a);
        }
        GuestLoadException e = refused(runWith(body(), big));
        assertEquals(
                "m.wasm: function 1 is too large to compile to JVM bytecode (one JVM method holds at"
                        + " most 64 KiB); split it into smaller functions",
                e.getMessage());
        assertTrue(e.tooLarge());
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aMillionTypesAreRefusedBeforeParsing() {
        WasmBytes types = new WasmBytes().u32(1_000_000);
        for (int i = 0; i < 1_000_000; i++) {
            types.b(0x60).u32(0).u32(0);
        }
        byte[] module = module(section(1, types), functions(1), exportRun(), code(body()));
        GuestLoadException e = refused(module);
        assertEquals(
                "m.wasm: the type section has 1000000 types, more than maxTypes (10000)",
                e.getMessage());
        assertTrue(e.tooLarge());
    }

    @Test
    void theLimitsAreSettings() {
        byte[] module = runWith(brTable(100));
        GuestLimits tight = GuestLimits.defaults().withMaxBrTableTargets(99);
        GuestLoadException e =
                assertThrows(
                        GuestLoadException.class, () -> GuestLoader.load("m.wasm", module, tight));
        assertTrue(e.getMessage().endsWith("more than maxBrTableTargets (99)"), e.getMessage());
    }

    // --- item 9: messages ----------------------------------------------------------------------

    static Stream<Arguments> modulesThatTripChicorysParser() {
        return Stream.of(
                // a second end: the parser pops an empty control stack (an IndexOutOfBounds)
                Arguments.of("two ends", runWith(body().b(0x0b))),
                // code after the function's end: a NullPointerException naming Chicory's classes
                Arguments.of("code after the end", runWith(body().b(0x0b, 0x01))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modulesThatTripChicorysParser")
    void aModuleThatTripsTheParserGetsPlainWords(String what, byte[] module) {
        String m = refusal(module);
        // before: "Index -1 out of bounds for length 0", "Cannot invoke \"com.dylibso..."
        assertEquals("m.wasm: malformed WebAssembly module: inconsistent or truncated content", m);
    }
}
