package dev.vivarium.core.abi;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;

/**
 * One hostcall: its import module and name, its exact wasm type and the Java code that implements
 * it.
 *
 * @param module the import module: {@link Hostcalls#MODULE} for the Terrarium hostcalls, {@link
 *     WasiHostcalls#MODULE} for the WASI subset
 * @param name the import name, e.g. {@code hostcall_req_get_path}
 * @param type the wasm function type guests must import it with
 * @param body the implementation, called with the per-request context and raw arguments
 */
public record Hostcall(String module, String name, FunctionType type, Body body) {

    /** A hostcall in module {@link Hostcalls#MODULE}. */
    public Hostcall(String name, FunctionType type, Body body) {
        this(Hostcalls.MODULE, name, type, body);
    }

    /** The same hostcall imported from {@code module}. */
    public Hostcall inModule(String module) {
        return new Hostcall(module, name, type, body);
    }

    /** The implementation of a hostcall; returns the single result, or 0 when it has none. */
    @FunctionalInterface
    public interface Body {
        long call(CallContext ctx, long[] args);
    }

    static final ValType I32 = ValType.I32;
    static final ValType I64 = ValType.I64;

    /** The implementation of a hostcall that returns nothing (it writes its out-params). */
    @FunctionalInterface
    public interface VoidBody {
        void call(CallContext ctx, long[] args);
    }

    /** A hostcall taking {@code i32} params and returning nothing. */
    public static Hostcall voidI32(String name, int params, VoidBody body) {
        return new Hostcall(
                name,
                FunctionType.of(i32s(params), List.of()),
                (c, a) -> {
                    body.call(c, a);
                    return 0;
                });
    }

    /** An {@code i32} argument, as wasm passes it in a {@code long}. */
    static int i(long v) {
        return (int) v;
    }

    /** A hostcall taking {@code i32} params and returning one {@code i32}. */
    public static Hostcall i32(String name, int params, Body body) {
        return new Hostcall(name, FunctionType.of(i32s(params), List.of(I32)), body);
    }

    public static Hostcall of(String name, List<ValType> params, List<ValType> results, Body body) {
        return new Hostcall(name, FunctionType.of(params, results), body);
    }

    private static List<ValType> i32s(int n) {
        return java.util.Collections.nCopies(n, I32);
    }
}
