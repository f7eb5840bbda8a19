package dev.vivarium.core.abi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.ValType;
import dev.vivarium.core.Headers;
import dev.vivarium.core.testing.RecordingLogger;
import dev.vivarium.core.testing.TestMemory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The WASI preview1 subset on a standalone memory, with no guest. */
class WasiHostcallsTest {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05.123456789Z");

    private final TestMemory mem = new TestMemory(1);
    private final RecordingLogger log = new RecordingLogger();
    private final CallContext ctx =
            mem.builder()
                    .log(log)
                    .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                    .random(new SplittableRandom(42))
                    .build();

    private int iovecs(String... parts) {
        return mem.slices(parts);
    }

    @Test
    void fdWriteOnStdoutAndStderrIsOneDebugLineEach() {
        int nwritten = mem.outParams();
        assertEquals(0, WasiHostcalls.fdWrite(ctx, 1, iovecs("hello, ", "world\n"), 2, nwritten));
        assertEquals(13, mem.i32(nwritten));
        assertEquals(0, WasiHostcalls.fdWrite(ctx, 2, iovecs("oops"), 1, nwritten));
        assertEquals(4, mem.i32(nwritten));
        // exactly what hostcall_debug logs
        SystemHostcalls.debug(ctx, mem.put("dbg"), 3);
        assertEquals(
                List.of("[test-guest /] hello, world", "[test-guest /] oops", "[test-guest /] dbg"),
                log.messages);
    }

    @Test
    void fdWriteKeepsTheDebugLimitButReportsEveryByteWritten() {
        String big = "x".repeat(SystemHostcalls.MAX_MESSAGE + 100);
        int nwritten = mem.outParams();
        assertEquals(0, WasiHostcalls.fdWrite(ctx, 1, iovecs(big, "tail\n"), 2, nwritten));
        assertEquals(big.length() + 5, mem.i32(nwritten));
        assertEquals(
                "[test-guest /] " + "x".repeat(SystemHostcalls.MAX_MESSAGE) + "…",
                log.messages.get(0));
    }

    @Test
    void fdWriteOfNothingLogsNothing() {
        int nwritten = mem.outParams();
        assertEquals(0, WasiHostcalls.fdWrite(ctx, 1, 0, 0, nwritten));
        assertEquals(0, mem.i32(nwritten));
        assertEquals(List.of(), log.messages);
    }

    @Test
    void fdWriteToStdinOrAnyOtherFdIsEbadf() {
        int nwritten = mem.outParams();
        for (int fd : new int[] {0, 3, 42, -1}) {
            assertEquals(
                    WasiHostcalls.EBADF, WasiHostcalls.fdWrite(ctx, fd, iovecs("x"), 1, nwritten));
        }
        assertEquals(List.of(), log.messages);
        assertEquals(TestMemory.GARBAGE, mem.i32(nwritten));
    }

    @Test
    void fdWriteWithTooManyIovecsIsEinvalAndABadPointerTraps() {
        int nwritten = mem.outParams();
        assertEquals(
                WasiHostcalls.EINVAL,
                WasiHostcalls.fdWrite(ctx, 1, 0, WasiHostcalls.MAX_IOVECS + 1, nwritten));
        int bad = mem.i32s(65_000, 10_000); // one iovec pointing past the end of memory
        HostcallTrap trap =
                assertThrows(
                        HostcallTrap.class, () -> WasiHostcalls.fdWrite(ctx, 1, bad, 1, nwritten));
        assertTrue(trap.getMessage().contains("fd_write iovec[0]"), trap.getMessage());
        assertThrows(
                HostcallTrap.class, () -> WasiHostcalls.fdWrite(ctx, 1, iovecs("x"), 1, 65_534));
    }

    @Test
    void stdioIsACharacterDeviceAndThereAreNoFiles() {
        int stat = mem.put(new byte[24]);
        assertEquals(0, WasiHostcalls.fdFdstatGet(ctx, 1, stat));
        assertEquals(WasiHostcalls.FILETYPE_CHARACTER_DEVICE, mem.memory.read(stat));
        assertEquals(WasiHostcalls.FDFLAGS_APPEND, mem.memory.readShort(stat + 2));
        assertEquals(WasiHostcalls.RIGHT_FD_WRITE, mem.memory.readLong(stat + 8));
        assertEquals(0, mem.memory.readLong(stat + 16));
        assertEquals(0, WasiHostcalls.fdFdstatGet(ctx, 0, stat));
        assertEquals(WasiHostcalls.RIGHT_FD_READ, mem.memory.readLong(stat + 8));
        assertEquals(WasiHostcalls.EBADF, WasiHostcalls.fdFdstatGet(ctx, 3, stat));

        assertEquals(WasiHostcalls.ESPIPE, WasiHostcalls.fdSeek(ctx, 1, 0, 0, stat));
        assertEquals(WasiHostcalls.EBADF, WasiHostcalls.fdSeek(ctx, 3, 0, 0, stat));
        assertEquals(0, WasiHostcalls.fdClose(2));
        assertEquals(WasiHostcalls.EBADF, WasiHostcalls.fdClose(3));
        // libc looks for preopened directories from fd 3 up until EBADF
        Hostcall prestat = Hostcalls.find(WasiHostcalls.MODULE, "fd_prestat_get");
        assertEquals(WasiHostcalls.EBADF, prestat.body().call(ctx, new long[] {3, stat}));
        Hostcall dirName = Hostcalls.find(WasiHostcalls.MODULE, "fd_prestat_dir_name");
        assertEquals(WasiHostcalls.EBADF, dirName.body().call(ctx, new long[] {3, stat, 10}));
    }

    @Test
    void environmentAndArgumentsAreEmpty() {
        for (String name : List.of("environ_sizes_get", "args_sizes_get")) {
            int out = mem.outParams();
            Hostcall h = Hostcalls.find(WasiHostcalls.MODULE, name);
            assertEquals(0, h.body().call(ctx, new long[] {out, out + 4}), name);
            assertEquals(List.of(0, 0), mem.pairOut(out), name);
        }
        for (String name : List.of("environ_get", "args_get")) {
            int out = mem.outParams();
            Hostcall h = Hostcalls.find(WasiHostcalls.MODULE, name);
            assertEquals(0, h.body().call(ctx, new long[] {out, out + 4}), name);
            assertEquals(List.of(TestMemory.GARBAGE, TestMemory.GARBAGE), mem.pairOut(out), name);
        }
    }

    @Test
    void clockTimeGetReadsTheInjectedClock() {
        int out = mem.outParams();
        long nanos = NOW.getEpochSecond() * 1_000_000_000L + NOW.getNano();
        for (int clock : new int[] {0, 1}) {
            assertEquals(0, WasiHostcalls.clockTimeGet(ctx, clock, 1, out));
            assertEquals(nanos, mem.memory.readLong(out));
        }
        assertEquals(WasiHostcalls.EINVAL, WasiHostcalls.clockTimeGet(ctx, 2, 1, out));
        assertThrows(HostcallTrap.class, () -> WasiHostcalls.clockTimeGet(ctx, 0, 1, 65_532));
    }

    @Test
    void randomGetFillsFromTheInjectedRandomSource() {
        int buf = mem.put(new byte[5000]);
        assertEquals(0, WasiHostcalls.randomGet(ctx, buf, 5000));
        SplittableRandom same = new SplittableRandom(42);
        byte[] first = new byte[4096];
        same.nextBytes(first);
        byte[] second = new byte[4096];
        same.nextBytes(second);
        assertArrayEquals(first, mem.bytes(buf, 4096));
        assertArrayEquals(java.util.Arrays.copyOf(second, 904), mem.bytes(buf + 4096, 904));
        assertThrows(HostcallTrap.class, () -> WasiHostcalls.randomGet(ctx, 65_000, 1000));
    }

    @Test
    void procExitEndsTheRunWithItsStatus() {
        Hostcall exit = Hostcalls.find(WasiHostcalls.MODULE, "proc_exit");
        GuestExit e = assertThrows(GuestExit.class, () -> exit.body().call(ctx, new long[] {3}));
        assertEquals(3, e.status());
    }

    @Test
    void theFamilyListsTheSubsetInModuleWasiWithExactTypes() {
        var wasi = Hostcalls.inModule(WasiHostcalls.MODULE);
        assertEquals(
                List.of(
                        "fd_write",
                        "fd_seek",
                        "fd_close",
                        "fd_fdstat_get",
                        "fd_prestat_get",
                        "fd_prestat_dir_name",
                        "proc_exit",
                        "environ_sizes_get",
                        "environ_get",
                        "args_sizes_get",
                        "args_get",
                        "clock_time_get",
                        "random_get"),
                List.copyOf(wasi.keySet()));
        ValType i32 = ValType.I32;
        assertEquals(
                FunctionType.of(List.of(i32, ValType.I64, i32, i32), List.of(i32)),
                wasi.get("fd_seek").type());
        assertEquals(FunctionType.of(List.of(i32), List.of()), wasi.get("proc_exit").type());
        assertEquals(
                FunctionType.of(List.of(i32, ValType.I64, i32), List.of(i32)),
                wasi.get("clock_time_get").type());
        // WASI names never leak into the Terrarium module
        assertEquals(null, Hostcalls.find(Hostcalls.MODULE, "fd_write"));
    }

    // --- guests without an allocator --------------------------------------------------------

    @Test
    void withoutInitMmTheHostGrowsMemoryAndPlacesDataPastTheOldEnd() {
        ByteArrayMemory grows = new ByteArrayMemory(new MemoryLimits(1, 3));
        String body = "b".repeat(100_000);
        CallContext c =
                CallContext.builder(
                                "test-guest",
                                TestMemory.request("POST", "/p", new Headers().add("a", "1"), body))
                        .memory(grows, null)
                        .build();
        RequestHostcalls.reqGetPath(c, 100, 104, 0);
        assertEquals(2, grows.pages());
        assertEquals(65536, grows.readInt(100), "the first byte past the old end");
        assertEquals("/p", new String(grows.readBytes(65536, 2), StandardCharsets.UTF_8));
        // a buffer bigger than what is left extends the region: contiguous, right after the path
        RequestHostcalls.reqGetBody(c, 108, 112, 0);
        assertEquals(3, grows.pages());
        assertEquals(65536 + 8, grows.readInt(108));
        assertEquals(body, new String(grows.readBytes(65536 + 8, 100_000), StandardCharsets.UTF_8));
        // small ones share what is left
        int name = 200;
        grows.write(name, "a".getBytes(StandardCharsets.UTF_8));
        RequestHostcalls.reqGetHeader(c, 116, 120, 0, name, 1);
        assertEquals(3, grows.pages());
        int slices = grows.readInt(116);
        assertTrue(slices > 65536 + 100_000 && slices < 3 * 65536, "slice array at " + slices);
        int value = grows.readInt(slices);
        assertEquals("1", new String(grows.readBytes(value, 1), StandardCharsets.UTF_8));
    }

    @Test
    void withoutInitMmInAMemoryOfZeroPagesNothingIsPlacedAtNull() {
        ByteArrayMemory empty = new ByteArrayMemory(new MemoryLimits(0, 2));
        CallContext c =
                CallContext.builder(
                                "test-guest", TestMemory.request("GET", "/p", new Headers(), null))
                        .memory(empty, null)
                        .build();
        int out = c.memory().copyIn("x".repeat(65_530).getBytes(StandardCharsets.UTF_8));
        assertEquals(8, out);
        assertEquals(2, empty.pages(), "8 + 65531 bytes need a second page");
    }

    @Test
    void withoutInitMmAnAllocationPastTheMemoryLimitIsAClearLimitError() {
        ByteArrayMemory capped = new ByteArrayMemory(new MemoryLimits(1, 1));
        CallContext c =
                CallContext.builder(
                                "test-guest", TestMemory.request("GET", "/p", new Headers(), null))
                        .memory(capped, null)
                        .build();
        HostcallTrap trap =
                assertThrows(HostcallTrap.class, () -> RequestHostcalls.reqGetPath(c, 100, 104, 0));
        assertEquals(dev.vivarium.core.Outcome.Kind.LIMIT, trap.kind());
        assertEquals(
                "the host needs to allocate 3 bytes in the guest, which never called"
                        + " hostcall_init_mm, but its memory of 1 pages cannot grow by 1",
                trap.getMessage());
    }
}
