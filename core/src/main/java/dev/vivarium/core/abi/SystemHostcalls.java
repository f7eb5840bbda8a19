package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.Hostcall.i;

import com.dylibso.chicory.wasm.types.ValType;
import java.time.Instant;
import java.util.List;

/**
 * Time, randomness, debug logging and the panic hook: the hostcalls that touch no request data.
 * Clock and random source come from the context, so tests inject fixed ones.
 */
public final class SystemHostcalls implements HostcallFamily {
    /** Longest debug line or panic message kept; the rest is cut, a guest cannot flood logs. */
    static final int MAX_MESSAGE = 4096;

    @Override
    public List<Hostcall> hostcalls() {
        return List.of(
                Hostcall.of(
                        "hostcall_time_now",
                        List.of(ValType.I32),
                        List.of(ValType.I64),
                        (c, a) -> timeNow(c, i(a[0]))),
                Hostcall.of(
                        "hostcall_rng_next_u64",
                        List.of(),
                        List.of(ValType.I64),
                        (c, a) -> rngNextU64(c)),
                Hostcall.voidI32("hostcall_debug", 2, (c, a) -> debug(c, i(a[0]), i(a[1]))),
                Hostcall.voidI32(
                        "hostcall_panic_hook", 2, (c, a) -> panicHook(c, i(a[0]), i(a[1]))));
    }

    /** {@code hostcall_time_now}: seconds since the epoch; sub-second nanos to *p unless 0. */
    public static long timeNow(CallContext ctx, int subsecNanosPtr) {
        Instant now = ctx.clock().instant();
        if (subsecNanosPtr != 0) {
            ctx.memory().writeI32(subsecNanosPtr, now.getNano(), "subsec_nanos pointer");
        }
        return now.getEpochSecond();
    }

    /** {@code hostcall_rng_next_u64}: from a cryptographically strong source by default. */
    public static long rngNextU64(CallContext ctx) {
        return ctx.random().nextLong();
    }

    /**
     * {@code hostcall_debug}: one line to SLF4J, logger {@code vivarium.guest.<guest>}, within the
     * request's and the deployment's guest log budgets ({@link CallContext#guestLog()}).
     */
    public static void debug(CallContext ctx, int msgPtr, int msgLen) {
        guestOutput(ctx, message(ctx, msgPtr, msgLen, "debug message"));
    }

    /**
     * The one way guest output reaches the log: {@code hostcall_debug} and WASI {@code fd_write} to
     * stdout/stderr ({@link WasiHostcalls#fdWrite}) both end here, already cut to {@link
     * #MAX_MESSAGE}, so the request's and the deployment's guest log budgets ({@link
     * CallContext#guestLog()}) apply to both.
     */
    static void guestOutput(CallContext ctx, String msg) {
        ctx.guestLog().line(msg);
    }

    /** Decodes output of {@code total} bytes of which {@code kept} were read, marking a cut. */
    static String cut(byte[] kept, long total) {
        String s = new String(kept, java.nio.charset.StandardCharsets.UTF_8);
        return kept.length < total ? s + "…" : s;
    }

    /** {@code hostcall_panic_hook}: remembers the message; the trap that follows ends the run. */
    public static void panicHook(CallContext ctx, int msgPtr, int msgLen) {
        ctx.setPanicMessage(message(ctx, msgPtr, msgLen, "panic message"));
    }

    private static String message(CallContext ctx, int ptr, int len, String what) {
        GuestMemory mem = ctx.memory();
        if (len == -1) {
            return cString(mem, ptr, what);
        }
        mem.check(ptr, len, what);
        int kept = (int) Math.min(Integer.toUnsignedLong(len), MAX_MESSAGE);
        String s = mem.readString(ptr, kept, what);
        return kept < Integer.toUnsignedLong(len) ? s + "…" : s;
    }

    /**
     * Length -1 means a NUL-terminated string: one public Terrarium C guest calls {@code
     * hostcall_debug(msg, -1)}. Read up to the NUL, the end of memory or {@link #MAX_MESSAGE}.
     */
    private static String cString(GuestMemory mem, int ptr, String what) {
        mem.check(ptr, 0, what);
        int max = (int) Math.min(MAX_MESSAGE, mem.size() - Integer.toUnsignedLong(ptr));
        byte[] bytes = mem.read(ptr, max, what);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, java.nio.charset.StandardCharsets.UTF_8);
    }
}
