package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.Hostcall.i;

import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.List;

/**
 * The WASI preview1 subset that libc-based guests (C with wasi-libc, Rust for {@code wasm32-wasi})
 * import as soon as they use stdio or {@code exit}: the guest is a process with stdin, stdout and
 * stderr and no files, no environment and no arguments. Output to stdout and stderr is the guest's
 * debug log ({@link SystemHostcalls#guestOutput}); time and randomness come from the context's
 * injected clock and random source. Any other WASI function is refused when the guest is loaded.
 * Stateless: nothing here outlives a call, so an instance's reset has nothing to undo. See {@code
 * guests/ABI.md}, "WASI subset".
 */
public final class WasiHostcalls implements HostcallFamily {
    /** The import module of the WASI functions. */
    public static final String MODULE = "wasi_snapshot_preview1";

    /** WASI errno values (preview1 {@code errno} enum). */
    static final int SUCCESS = 0;

    static final int EBADF = 8;
    static final int EINVAL = 28;
    static final int ESPIPE = 70;

    /** The most iovecs one {@code fd_write} may pass, as Linux's {@code IOV_MAX}. */
    static final int MAX_IOVECS = 1024;

    static final int FILETYPE_CHARACTER_DEVICE = 2;
    static final int FDFLAGS_APPEND = 1;
    static final long RIGHT_FD_READ = 1L << 1;
    static final long RIGHT_FD_WRITE = 1L << 6;

    private static final int STDIN = 0;
    private static final int STDERR = 2;

    @Override
    public List<Hostcall> hostcalls() {
        ValType i32 = ValType.I32;
        ValType i64 = ValType.I64;
        List<Hostcall> calls =
                List.of(
                        Hostcall.i32(
                                "fd_write",
                                4,
                                (c, a) -> fdWrite(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]))),
                        Hostcall.of(
                                "fd_seek",
                                List.of(i32, i64, i32, i32),
                                List.of(i32),
                                (c, a) -> fdSeek(c, i(a[0]), a[1], i(a[2]), i(a[3]))),
                        Hostcall.i32("fd_close", 1, (c, a) -> fdClose(i(a[0]))),
                        Hostcall.i32(
                                "fd_fdstat_get", 2, (c, a) -> fdFdstatGet(c, i(a[0]), i(a[1]))),
                        Hostcall.i32("fd_prestat_get", 2, (c, a) -> EBADF),
                        Hostcall.i32("fd_prestat_dir_name", 3, (c, a) -> EBADF),
                        Hostcall.voidI32(
                                "proc_exit",
                                1,
                                (c, a) -> {
                                    throw new GuestExit(i(a[0]));
                                }),
                        Hostcall.i32("environ_sizes_get", 2, (c, a) -> sizesGet(c, a, "environ")),
                        Hostcall.i32("environ_get", 2, (c, a) -> SUCCESS),
                        Hostcall.i32("args_sizes_get", 2, (c, a) -> sizesGet(c, a, "args")),
                        Hostcall.i32("args_get", 2, (c, a) -> SUCCESS),
                        Hostcall.of(
                                "clock_time_get",
                                List.of(i32, i64, i32),
                                List.of(i32),
                                (c, a) -> clockTimeGet(c, i(a[0]), a[1], i(a[2]))),
                        Hostcall.i32("random_get", 2, (c, a) -> randomGet(c, i(a[0]), i(a[1]))));
        return calls.stream().map(h -> h.inModule(MODULE)).toList();
    }

    /**
     * {@code fd_write(fd, iovs, iovs_len, *nwritten)}: stdout and stderr go to the guest's log, one
     * entry per call (a trailing newline dropped), cut at {@link SystemHostcalls#MAX_MESSAGE} bytes
     * like {@code hostcall_debug}; {@code *nwritten} is every byte passed, so libc never retries
     * what was cut. Any other fd is {@code EBADF}.
     */
    public static int fdWrite(CallContext ctx, int fd, int iovs, int iovsLen, int nwrittenPtr) {
        if (fd <= STDIN || fd > STDERR) {
            return EBADF;
        }
        if (iovsLen < 0 || iovsLen > MAX_IOVECS) {
            return EINVAL;
        }
        GuestMemory mem = ctx.memory();
        mem.check(iovs, iovsLen * GuestMemory.SLICE_SIZE, "fd_write iovecs");
        mem.check(nwrittenPtr, 4, "fd_write nwritten pointer");
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long total = 0;
        for (int k = 0; k < iovsLen; k++) {
            int ptr = mem.readI32(iovs + k * GuestMemory.SLICE_SIZE, "fd_write iovec");
            int len = mem.readI32(iovs + k * GuestMemory.SLICE_SIZE + 4, "fd_write iovec");
            mem.check(ptr, len, "fd_write iovec[" + k + "]");
            long n = Integer.toUnsignedLong(len);
            int take = (int) Math.min(n, SystemHostcalls.MAX_MESSAGE - kept.size());
            kept.writeBytes(mem.read(ptr, take, "fd_write iovec[" + k + "]"));
            total += n;
        }
        if (total > Integer.MAX_VALUE) {
            return EINVAL; // POSIX: the sum of the lengths must fit in ssize_t
        }
        if (total > 0) {
            byte[] bytes = kept.toByteArray();
            int end = bytes.length;
            if (total == end && end > 0 && bytes[end - 1] == '\n') {
                end--;
            }
            byte[] line = end == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, end);
            SystemHostcalls.guestOutput(
                    ctx, SystemHostcalls.cut(line, total - (bytes.length - end)));
        }
        mem.writeI32(nwrittenPtr, (int) total, "fd_write nwritten pointer");
        return SUCCESS;
    }

    /** {@code fd_seek}: stdio is a character device ({@code ESPIPE}); there is no other fd. */
    public static int fdSeek(CallContext ctx, int fd, long offset, int whence, int newOffsetPtr) {
        return isStdio(fd) ? ESPIPE : EBADF;
    }

    /** {@code fd_close}: closing stdio is accepted and has no effect; there is no other fd. */
    public static int fdClose(int fd) {
        return isStdio(fd) ? SUCCESS : EBADF;
    }

    /**
     * {@code fd_fdstat_get(fd, *fdstat)}: stdio is a character device without seek rights (so libc
     * line-buffers stdout, and each line becomes one log entry); there is no other fd. The 24-byte
     * {@code fdstat}: u8 filetype, u16 flags at 2, u64 rights_base at 8, u64 rights_inheriting at
     * 16.
     */
    public static int fdFdstatGet(CallContext ctx, int fd, int statPtr) {
        if (!isStdio(fd)) {
            return EBADF;
        }
        GuestMemory mem = ctx.memory();
        mem.check(statPtr, 24, "fd_fdstat_get fdstat pointer");
        mem.write(statPtr, new byte[24], "fd_fdstat_get fdstat pointer");
        mem.memory().writeByte(statPtr, (byte) FILETYPE_CHARACTER_DEVICE);
        mem.memory().writeShort(statPtr + 2, (short) (fd == STDIN ? 0 : FDFLAGS_APPEND));
        mem.writeI64(statPtr + 8, fd == STDIN ? RIGHT_FD_READ : RIGHT_FD_WRITE, "fdstat rights");
        return SUCCESS;
    }

    /** {@code environ_sizes_get} / {@code args_sizes_get}: no entries, no bytes. */
    private static int sizesGet(CallContext ctx, long[] args, String what) {
        GuestMemory mem = ctx.memory();
        mem.writeI32(i(args[0]), 0, what + " count pointer");
        mem.writeI32(i(args[1]), 0, what + " size pointer");
        return SUCCESS;
    }

    /**
     * {@code clock_time_get(id, precision, *time)}: nanoseconds since the epoch from the context's
     * clock, for the realtime (0) and monotonic (1) clocks; the CPU-time clocks are {@code EINVAL}.
     */
    public static int clockTimeGet(CallContext ctx, int clockId, long precision, int timePtr) {
        if (clockId != 0 && clockId != 1) {
            return EINVAL;
        }
        Instant now = ctx.clock().instant();
        long nanos =
                Math.addExact(
                        Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
        ctx.memory().writeI64(timePtr, nanos, "clock_time_get time pointer");
        return SUCCESS;
    }

    /** {@code random_get(buf, len)}: fills the buffer from the context's random source. */
    public static int randomGet(CallContext ctx, int buf, int len) {
        GuestMemory mem = ctx.memory();
        mem.check(buf, len, "random_get buffer");
        byte[] chunk = new byte[(int) Math.min(Integer.toUnsignedLong(len), 4096)];
        long done = 0;
        long total = Integer.toUnsignedLong(len);
        while (done < total) {
            int n = (int) Math.min(chunk.length, total - done);
            ctx.random().nextBytes(chunk);
            mem.memory().write((int) (Integer.toUnsignedLong(buf) + done), chunk, 0, n);
            done += n;
        }
        return SUCCESS;
    }

    private static boolean isStdio(int fd) {
        return fd >= STDIN && fd <= STDERR;
    }
}
