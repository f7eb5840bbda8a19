package dev.vivarium.core.engine;

import static dev.vivarium.core.engine.BinaryScreen.EXCEPTIONS;
import static dev.vivarium.core.engine.BinaryScreen.GC;
import static dev.vivarium.core.engine.BinaryScreen.THREADS;
import static dev.vivarium.core.engine.BinaryScreen.TYPED_REFERENCES;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Global;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks a parsed module before it is compiled: no instruction or value type of a proposal the
 * Terrarium ABI does not need (GC, exception handling, threads, typed function references), table
 * sizes and {@code br_table} targets within their {@link GuestLimits}; and works out what an
 * instance holds beyond its linear memory, for the engine's {@link MemoryBudget}.
 *
 * <p>What the ABI needs is WebAssembly 2.0: the MVP with sign extension, saturating conversions,
 * multiple results, bulk memory, reference types ({@code funcref}, {@code externref}) and SIMD. The
 * refused proposals each let a guest do what the host does not account for: GC objects live on the
 * JVM heap outside {@code maxTotalMemory} (and a pooled instance keeps them across requests),
 * exceptions escape the guest as Java exceptions, atomics and shared memories assume threads the
 * host does not give.
 */
final class ModuleScreen {
    static final String SUPPORTED =
            "this host runs WebAssembly 2.0 guests (the Terrarium ABI needs nothing more) and refuses"
                    + " the GC, exception-handling, threads, typed function references, memory64"
                    + " and multi-memory proposals";

    /**
     * Bytes an instance holds per table entry: Chicory's {@code TableInstance} keeps an int and a
     * reference.
     */
    static final long TABLE_ENTRY_BYTES = 8;

    /** Bytes per global: a {@code GlobalInstance} and its snapshot for reset. */
    static final long GLOBAL_BYTES = 64;

    /** Bytes per function: the instance's per-function arrays. */
    static final long FUNCTION_BYTES = 12;

    private static final Set<ValType> VALUE_TYPES =
            Set.of(
                    ValType.I32,
                    ValType.I64,
                    ValType.F32,
                    ValType.F64,
                    ValType.V128,
                    ValType.FuncRef,
                    ValType.ExternRef);

    private static final Set<OpCode> EXCEPTION_OPS =
            Set.of(OpCode.THROW, OpCode.THROW_REF, OpCode.TRY_TABLE);

    private static final Set<OpCode> TYPED_REFERENCE_OPS =
            Set.of(
                    OpCode.CALL_REF,
                    OpCode.RETURN_CALL_REF,
                    OpCode.REF_AS_NON_NULL,
                    OpCode.BR_ON_NULL,
                    OpCode.BR_ON_NON_NULL);

    /** {@code ref.null}'s heap types that are not GC's: func and extern. */
    private static final long FUNC_HEAP = ValType.TypeIdxCode.FUNC.code();

    private static final long EXTERN_HEAP = ValType.TypeIdxCode.EXTERN.code();

    private final String name;
    private final WasmModule module;
    private final GuestLimits limits;
    private long brTableTargets;

    private ModuleScreen(String name, WasmModule module, GuestLimits limits) {
        this.name = name;
        this.module = module;
        this.limits = limits;
    }

    /**
     * Checks the parsed module.
     *
     * @return the bytes one instance holds beyond its linear memory: tables (what they may grow to,
     *     when the module grows them), globals and per-function data
     * @throws GuestLoadException naming the proposal or the limit, and where
     */
    static long check(String name, WasmModule module, GuestLimits limits)
            throws GuestLoadException {
        ModuleScreen s = new ModuleScreen(name, module, limits);
        s.globals();
        s.elements();
        boolean growsTables = s.functions();
        long entries = s.tables(growsTables);
        int functions =
                module.importSection().count(ExternalType.FUNCTION)
                        + module.functionSection().functionCount();
        return entries * TABLE_ENTRY_BYTES
                + (long) module.globalSection().globalCount() * GLOBAL_BYTES
                + (long) functions * FUNCTION_BYTES;
    }

    private void globals() throws GuestLoadException {
        Global[] globals = module.globalSection().globals();
        for (int i = 0; i < globals.length; i++) {
            String where = "global " + i;
            valueType(globals[i].valueType(), "the type of " + where);
            instructions(globals[i].initInstructions(), "the initializer of " + where);
        }
    }

    private void elements() throws GuestLoadException {
        Element[] elements = module.elementSection().elements();
        for (int i = 0; i < elements.length; i++) {
            String where = "element segment " + i;
            ValType t = elements[i].type();
            // a segment of function indices has type (ref func) (no null in it)
            if (!isFuncOrExtern(t)) {
                valueType(t, "the type of " + where);
            }
            for (List<Instruction> init : elements[i].initializers()) {
                instructions(init, "an initializer of " + where);
            }
        }
    }

    /** Returns whether any function uses {@code table.grow}. */
    private boolean functions() throws GuestLoadException {
        int imported = module.importSection().count(ExternalType.FUNCTION);
        FunctionBody[] bodies = module.codeSection().functionBodies();
        boolean grows = false;
        for (int i = 0; i < bodies.length; i++) {
            String where = "function " + (imported + i);
            for (ValType local : bodies[i].localTypes()) {
                valueType(local, "a local of " + where);
            }
            grows |= instructions(bodies[i].instructions(), where);
        }
        return grows;
    }

    /** Returns whether the instructions include {@code table.grow}. */
    private boolean instructions(List<? extends Instruction> code, String where)
            throws GuestLoadException {
        boolean grows = false;
        for (Instruction ins : code) {
            OpCode op = ins.opcode();
            int family = op.opcode() >>> 8;
            if (family == 0xfb || op == OpCode.REF_EQ) {
                throw feature(GC, ins, where);
            }
            if (family == 0xfe) {
                throw feature(THREADS, ins, where);
            }
            if (EXCEPTION_OPS.contains(op)) {
                throw feature(EXCEPTIONS, ins, where);
            }
            if (TYPED_REFERENCE_OPS.contains(op)) {
                throw feature(TYPED_REFERENCES, ins, where);
            }
            if (op == OpCode.REF_NULL) {
                refNull(ins, where);
            } else if (op == OpCode.BR_TABLE) {
                brTable(ins, where);
            } else if (op == OpCode.TABLE_GROW) {
                grows = true;
            }
        }
        return grows;
    }

    private void refNull(Instruction ins, String where) throws GuestLoadException {
        long heap = ins.operand(0);
        if (heap == FUNC_HEAP || heap == EXTERN_HEAP) {
            return;
        }
        String proposal =
                heap >= 0
                        ? TYPED_REFERENCES
                        : heap == ValType.TypeIdxCode.EXN.code() ? EXCEPTIONS : GC;
        throw feature(proposal, ins, where);
    }

    private void brTable(Instruction ins, String where) throws GuestLoadException {
        int targets = ins.operandCount() - 1; // the last operand is the default target
        if (targets > GuestLimits.BR_TABLE_TARGETS_PER_INSTRUCTION) {
            throw GuestLoadException.tooLarge(
                    name
                            + ": a br_table in "
                            + where
                            + " has "
                            + targets
                            + " targets; one br_table can have at most "
                            + GuestLimits.BR_TABLE_TARGETS_PER_INSTRUCTION
                            + " (more cannot be compiled to JVM bytecode)");
        }
        brTableTargets += targets;
        if (brTableTargets > limits.maxBrTableTargets()) {
            throw GuestLoadException.tooLarge(
                    name
                            + ": the br_table instructions up to "
                            + where
                            + " have "
                            + brTableTargets
                            + " targets together, more than maxBrTableTargets ("
                            + limits.maxBrTableTargets()
                            + ")");
        }
    }

    /** The entries all tables may hold; only what a module can grow them to counts as grown. */
    private long tables(boolean grows) throws GuestLoadException {
        long total = 0;
        for (int i = 0; i < module.tableSection().tableCount(); i++) {
            Table t = module.tableSection().getTable(i);
            valueType(t.elementType(), "the element type of table " + i);
            long entries = grows ? Math.max(t.limits().min(), t.limits().max()) : t.limits().min();
            total += entries;
            if (total > limits.maxTableEntries()) {
                String size =
                        grows
                                ? "may grow to "
                                        + entries
                                        + " entries (the module uses table.grow, and that is its"
                                        + " declared or implied maximum)"
                                : "has " + entries + " entries";
                throw GuestLoadException.tooLarge(
                        name
                                + ": table "
                                + i
                                + " "
                                + size
                                + ", more than maxTableEntries ("
                                + limits.maxTableEntries()
                                + ") for all tables together"
                                + (grows ? "; declare a smaller maximum" : ""));
            }
        }
        return total;
    }

    private static boolean isFuncOrExtern(ValType t) {
        return t.isReference() && (t.typeIdx() == FUNC_HEAP || t.typeIdx() == EXTERN_HEAP);
    }

    private void valueType(ValType t, String where) throws GuestLoadException {
        if (VALUE_TYPES.contains(t)) {
            return;
        }
        String proposal;
        if (!t.isReference() || t.typeIdx() >= 0 || isFuncOrExtern(t)) {
            proposal = TYPED_REFERENCES; // (ref $t), (ref func): typed references
        } else if (t.typeIdx() == ValType.TypeIdxCode.EXN.code()) {
            proposal = EXCEPTIONS;
        } else {
            proposal = GC;
        }
        throw new GuestLoadException(
                name
                        + ": uses "
                        + proposal
                        + " (the type "
                        + typeName(t)
                        + " as "
                        + where
                        + "); "
                        + SUPPORTED);
    }

    /** A value type in the text format: {@code i32}, {@code (ref null any)}, {@code (ref 3)}. */
    static String typeName(ValType t) {
        if (!t.isReference()) {
            return t.name().toLowerCase(Locale.ROOT);
        }
        String heap = Integer.toString(t.typeIdx());
        for (ValType.TypeIdxCode c : ValType.TypeIdxCode.values()) {
            if (c.code() == t.typeIdx()) {
                heap = c.name().toLowerCase(Locale.ROOT);
            }
        }
        return t.isNullable() ? "(ref null " + heap + ")" : "(ref " + heap + ")";
    }

    private GuestLoadException feature(String proposal, Instruction ins, String where) {
        return new GuestLoadException(
                name
                        + ": uses "
                        + proposal
                        + " ("
                        + wasmName(ins.opcode())
                        + " in "
                        + where
                        + "); "
                        + SUPPORTED);
    }

    /** The instruction's name in the text format, near enough: {@code array.new_default}. */
    static String wasmName(OpCode op) {
        String n = op.name().toLowerCase(Locale.ROOT);
        int u = n.indexOf('_');
        String family = u < 0 ? "" : n.substring(0, u);
        String text =
                switch (family) {
                    case "struct", "array", "ref", "i31", "any", "extern", "i32", "i64", "atomic" ->
                            family + "." + n.substring(u + 1);
                    case "mem" -> "memory." + n.substring(u + 1).replaceFirst("_", ".");
                    case "cast" -> "ref." + n;
                    default -> n;
                };
        int code = op.opcode();
        return text
                + (code > 0xff
                        ? String.format(
                                Locale.ROOT, " (opcode 0x%02x 0x%02x)", code >>> 8, code & 0xff)
                        : String.format(Locale.ROOT, " (opcode 0x%02x)", code));
    }
}
