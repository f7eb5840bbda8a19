package dev.vivarium.core.engine;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves large regions of large guest functions into new functions of their own, before Chicory
 * compiles the module, so that no function becomes a JVM method HotSpot refuses to JIT-compile
 * (over {@link JvmCheck#HUGE_METHOD_LIMIT} bytes of bytecode at default JVM flags).
 *
 * <p>Chicory compiles each wasm function to one JVM method, about 1.3-1.7 bytes of bytecode per
 * byte of wasm code (the Rust {@code http} crate's header-name parser: 13,177 wasm bytes, 22,090
 * bytecode bytes). A function whose code is over {@link #MAX_BODY_BYTES} is split: its largest
 * eligible regions of at most that size become new functions until the rest is under it too. A
 * region is a {@code block} or {@code loop} without parameters or results, or the tail of such a
 * block after its leading blocks (nothing is on its stack there: the cases of a {@code br_table}
 * switch are such tails). It is eligible when every branch leaving it targets a label without
 * values or with one value ({@code br}, {@code br_if}, {@code return}; a {@code br_table} leaving
 * it only to labels without values), and it uses no exception handling or tail calls. The new
 * function takes the locals the region uses as parameters and returns an exit code, the value a
 * branch out carried and the locals it wrote; the original function calls it, stores those locals
 * back and branches on the exit code ({@code br_table}) to where the region's branch went, the
 * value put back on the stack, 0 meaning it ran to its end. Everything else keeps its index, so
 * exports, tables and the start function are unchanged.
 *
 * <p>The result is a new binary, parsed and validated again by the caller; a function with no
 * eligible region stays as it is (and {@link JvmCheck} still names it).
 */
final class FunctionSplitter {
    /** Split functions whose code (wasm bytes) is larger than this. */
    static final int MAX_BODY_BYTES = 4200;

    /** JVM parameter slots a new function may take (Chicory changes convention past 253). */
    private static final int MAX_PARAM_SLOTS = 200;

    /** A label no region may branch to (several values, or types this class does not handle). */
    private static final int UNUSABLE = -1;

    /** A label whose branches carry no value. */
    private static final int NO_VALUE = 0;

    private static final int ROUNDS = 3;

    /**
     * Regions up to this size may be moved even when the threshold is lower (tests split tiny
     * functions).
     */
    private static final int MIN_PIECE_BYTES = 96;

    private static final Logger LOG = LoggerFactory.getLogger(FunctionSplitter.class);

    private FunctionSplitter() {}

    /**
     * What the transform writes changes with this number: part of the compiled-class cache's key
     * ({@link GuestLoader#CODE_VERSION}), so bump it with any change to the output.
     */
    static final int VERSION = 1;

    /** A module after {@link #apply}: its binary (the input's when nothing was split) and parse. */
    record Split(byte[] binary, WasmModule module) {}

    /**
     * {@code module} ({@code wasm} parsed) with its functions over {@code maxBodyBytes} split, or
     * {@code module} itself when none is or the split module fails to parse (it never should; it is
     * logged).
     */
    static WasmModule apply(String name, byte[] wasm, WasmModule module, int maxBodyBytes) {
        return splitModule(name, wasm, module, maxBodyBytes).module();
    }

    /** As {@link #apply}, with the binary of the result (to store beside its compiled classes). */
    static Split splitModule(String name, byte[] wasm, WasmModule module, int maxBodyBytes) {
        try {
            WasmModule result = module;
            byte[] bytes = wasm;
            // a region moved out may hold regions of its own the next round moves (only with a
            // threshold far below the default: a region is never larger than it)
            for (int round = 0; round < ROUNDS; round++) {
                byte[] split = split(bytes, result, maxBodyBytes);
                if (split == bytes) {
                    break;
                }
                bytes = split;
                result = Parser.parse(split);
            }
            return new Split(bytes, result);
        } catch (RuntimeException | AssertionError | StackOverflowError e) {
            failed(name, e);
            return new Split(wasm, module);
        }
    }

    /** Logs that splitting {@code name}'s functions went wrong, and the original is used. */
    static void failed(String name, Throwable e) {
        LOG.warn(
                "{}: splitting its large functions failed, it runs as it is (a bug: please"
                        + " report it with the module)",
                name,
                e);
    }

    /**
     * The module with every function whose code is over {@code maxBodyBytes} split, or {@code wasm}
     * itself if none was; {@code module} is {@code wasm} parsed.
     */
    static byte[] split(byte[] wasm, WasmModule module, int maxBodyBytes) {
        Sections sections = Sections.of(wasm);
        if (sections == null) {
            return wasm;
        }
        int typeCount = module.typeSection().typeCount();
        if (readU32(wasm, sections.typeStart) != typeCount) {
            return wasm; // recursive type groups (GC proposal): counts differ, leave it alone
        }
        FunctionBody[] bodies = module.codeSection().functionBodies();
        int imported = module.importSection().count(ExternalType.FUNCTION);
        int[][] rawBodies = codeEntries(wasm, sections, bodies.length);
        if (rawBodies == null) {
            return wasm;
        }
        Output out = new Output(typeCount, imported + bodies.length);
        byte[][] newBodies = new byte[bodies.length][];
        boolean changed = false;
        for (int i = 0; i < bodies.length; i++) {
            int[] raw = rawBodies[i];
            List<Instruction> ins = new ArrayList<>(bodies[i].instructions());
            if (ins.isEmpty() || ins.get(0).address() - raw[0] > raw[1] - raw[0]) {
                continue;
            }
            int codeSize = raw[1] - ins.get(0).address();
            if (codeSize <= maxBodyBytes) {
                continue;
            }
            FunctionType type = module.functionSection().getFunctionType(i, module.typeSection());
            List<ValType> locals = new ArrayList<>(type.params());
            locals.addAll(bodies[i].localTypes());
            Function f = Function.of(wasm, ins, raw, type, locals);
            if (f == null) {
                continue;
            }
            byte[] body = f.split(maxBodyBytes, out);
            if (body != null) {
                newBodies[i] = body;
                changed = true;
            }
        }
        if (!changed) {
            return wasm;
        }
        return out.module(wasm, sections, rawBodies, newBodies);
    }

    /** Where the type, function and code sections' contents are (after their size). */
    private static final class Sections {
        int typeStart;
        int typeEnd;
        int funcStart;
        int funcEnd;
        int codeStart;
        int codeEnd;

        static Sections of(byte[] wasm) {
            Sections s = new Sections();
            int p = 8;
            while (p < wasm.length) {
                int id = wasm[p++] & 0xff;
                long size = readU32(wasm, p);
                p += lebLength(wasm, p);
                int start = p;
                int end = (int) (start + size);
                switch (id) {
                    case 1 -> {
                        s.typeStart = start;
                        s.typeEnd = end;
                    }
                    case 3 -> {
                        s.funcStart = start;
                        s.funcEnd = end;
                    }
                    case 10 -> {
                        s.codeStart = start;
                        s.codeEnd = end;
                    }
                    default -> {}
                }
                p = end;
            }
            return s.typeEnd > 0 && s.funcEnd > 0 && s.codeEnd > 0 ? s : null;
        }
    }

    /** Each function body's start (after its size) and end in the module, or null. */
    private static int[][] codeEntries(byte[] wasm, Sections s, int count) {
        int p = s.codeStart;
        if (readU32(wasm, p) != count) {
            return null;
        }
        p += lebLength(wasm, p);
        int[][] entries = new int[count][];
        for (int i = 0; i < count; i++) {
            long size = readU32(wasm, p);
            p += lebLength(wasm, p);
            entries[i] = new int[] {p, (int) (p + size)};
            p += (int) size;
        }
        return p == s.codeEnd ? entries : null;
    }

    /** The new types and functions, and the module put together again. */
    private static final class Output {
        final int typeCount;
        final int functionCount;
        final Map<String, Integer> typeIndex = new LinkedHashMap<>();
        final List<byte[]> types = new ArrayList<>();
        final List<Integer> functionTypes = new ArrayList<>();
        final List<byte[]> functions = new ArrayList<>();

        Output(int typeCount, int functionCount) {
            this.typeCount = typeCount;
            this.functionCount = functionCount;
        }

        /** Adds a function; returns its index. */
        int add(byte[] type, byte[] body) {
            Integer t = typeIndex.get(Arrays.toString(type));
            if (t == null) {
                t = typeCount + types.size();
                typeIndex.put(Arrays.toString(type), t);
                types.add(type);
            }
            functionTypes.add(t);
            functions.add(body);
            return functionCount + functions.size() - 1;
        }

        byte[] module(byte[] wasm, Sections s, int[][] rawBodies, byte[][] newBodies) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(wasm.length + 4096);
            out.write(wasm, 0, 8);
            int p = 8;
            while (p < wasm.length) {
                int sectionStart = p;
                int id = wasm[p++] & 0xff;
                long size = readU32(wasm, p);
                p += lebLength(wasm, p);
                int end = (int) (p + size);
                Bytes content = new Bytes();
                switch (id) {
                    case 1 -> {
                        appendVector(content, wasm, p, end, types.size());
                        types.forEach(content::raw);
                    }
                    case 3 -> {
                        appendVector(content, wasm, p, end, functionTypes.size());
                        functionTypes.forEach(content::u32);
                    }
                    case 10 -> {
                        content.u32(rawBodies.length + functions.size());
                        for (int i = 0; i < rawBodies.length; i++) {
                            if (newBodies[i] == null) {
                                content.u32(rawBodies[i][1] - rawBodies[i][0]);
                                content.raw(wasm, rawBodies[i][0], rawBodies[i][1]);
                            } else {
                                content.u32(newBodies[i].length);
                                content.raw(newBodies[i]);
                            }
                        }
                        for (byte[] f : functions) {
                            content.u32(f.length);
                            content.raw(f);
                        }
                    }
                    default -> {
                        out.write(wasm, sectionStart, end - sectionStart);
                        p = end;
                        continue;
                    }
                }
                out.write(id);
                byte[] c = content.toByteArray();
                Bytes header = new Bytes();
                header.u32(c.length);
                out.writeBytes(header.toByteArray());
                out.writeBytes(c);
                p = end;
            }
            return out.toByteArray();
        }

        /** A vector's count raised by {@code more}, then its original entries. */
        private static void appendVector(Bytes content, byte[] wasm, int start, int end, int more) {
            content.u32((int) readU32(wasm, start) + more);
            int entries = start + lebLength(wasm, start);
            content.raw(wasm, entries, end);
        }
    }

    /** One function's instructions, their byte ranges and its control structure. */
    private static final class Function {
        final byte[] wasm;
        final int n;
        final int[] start;
        final int[] end;
        final OpCode[] op;
        final int[] match; // an opener's END
        final int[] parent; // the innermost opener around an instruction, -1 at the top
        final int[] depth; // labels around an instruction (the function's own not counted)
        final int localsStart;
        final int localsEnd;
        final int bodyEnd;
        final FunctionType type;
        final List<ValType> locals;

        /** Locals added to the function: value type byte to index, in order. */
        final Map<Integer, Integer> carryLocals = new LinkedHashMap<>();

        private Function(
                byte[] wasm, List<Instruction> ins, int[] raw, FunctionType t, List<ValType> l) {
            this.wasm = wasm;
            this.n = ins.size();
            this.start = new int[n];
            this.end = new int[n];
            this.op = new OpCode[n];
            this.match = new int[n];
            this.parent = new int[n];
            this.depth = new int[n];
            this.localsStart = raw[0];
            this.localsEnd = ins.get(0).address();
            this.bodyEnd = raw[1];
            this.type = t;
            this.locals = l;
            for (int i = 0; i < n; i++) {
                start[i] = ins.get(i).address();
                op[i] = ins.get(i).opcode();
                end[i] = i + 1 < n ? ins.get(i + 1).address() : raw[1];
            }
        }

        static Function of(
                byte[] wasm, List<Instruction> ins, int[] raw, FunctionType t, List<ValType> l) {
            Function f = new Function(wasm, ins, raw, t, l);
            return f.structure() ? f : null;
        }

        /** Fills match, parent and depth; false if the instructions are not as expected. */
        private boolean structure() {
            int[] stack = new int[n + 1];
            int top = 0;
            for (int i = 0; i < n; i++) {
                int code = op[i].opcode();
                if (end[i] <= start[i] || (code <= 0xff && (wasm[start[i]] & 0xff) != code)) {
                    return false;
                }
                parent[i] = top == 0 ? -1 : stack[top - 1];
                depth[i] = top;
                match[i] = -1;
                switch (op[i]) {
                    case BLOCK, LOOP, IF -> stack[top++] = i;
                    case END -> {
                        if (top == 0) {
                            if (i != n - 1) {
                                return false;
                            }
                        } else {
                            match[stack[--top]] = i;
                            depth[i] = top;
                        }
                    }
                    default -> {}
                }
            }
            return top == 0 && op[n - 1] == OpCode.END && end[n - 1] == bodyEnd;
        }

        /** Instruction i opens a block or loop without parameters or results. */
        private boolean emptyBlock(int i) {
            return (op[i] == OpCode.BLOCK || op[i] == OpCode.LOOP)
                    && (wasm[start[i] + 1] & 0xff) == 0x40;
        }

        /** The function with its regions moved out, or null if nothing could be. */
        byte[] split(int maxBodyBytes, Output out) {
            int codeSize = bodyEnd - start[0];
            int pieceLimit = Math.max(maxBodyBytes, MIN_PIECE_BYTES);
            List<Region> candidates = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (!emptyBlock(i)) {
                    continue;
                }
                Region r = region(i, match[i], i, false);
                if (r != null && r.fits(pieceLimit, codeSize)) {
                    candidates.add(r);
                }
                if (op[i] != OpCode.BLOCK) {
                    continue;
                }
                // a block's tail after its leading blocks, where nothing is on its stack: the
                // case bodies of a br_table switch, for instance
                for (int c = i + 1; emptyBlock(c) && match[c] + 1 < match[i]; c = match[c] + 1) {
                    Region t = region(match[c] + 1, match[i] - 1, i, true);
                    if (t != null && t.fits(pieceLimit, codeSize)) {
                        candidates.add(t);
                    }
                }
            }
            candidates.sort((a, b) -> Integer.compare(b.bytes(), a.bytes()));
            int remaining = codeSize;
            List<Region> chosen = new ArrayList<>();
            for (Region r : candidates) {
                if (remaining <= maxBodyBytes) {
                    break;
                }
                boolean overlaps = false;
                for (Region c : chosen) {
                    overlaps |= r.first <= c.last && c.first <= r.last;
                }
                if (overlaps) {
                    continue;
                }
                chosen.add(r);
                remaining -= r.bytes() - r.callBytes();
            }
            if (chosen.isEmpty()) {
                return null;
            }
            chosen.sort((a, b) -> Integer.compare(a.first, b.first));
            Bytes code = new Bytes();
            int next = 0;
            for (Region r : chosen) {
                code.raw(wasm, start[next], start[r.first]);
                r.emitCall(code, out.add(r.type(), r.body()));
                next = r.last + 1;
            }
            code.raw(wasm, start[next], bodyEnd);
            Bytes body = new Bytes();
            int groups = (int) readU32(wasm, localsStart);
            body.u32(groups + carryLocals.size());
            body.raw(wasm, localsStart + lebLength(wasm, localsStart), localsEnd);
            for (int t : carryLocals.keySet()) {
                body.raw(new byte[] {1, (byte) t});
            }
            body.raw(code.toByteArray());
            return body.toByteArray();
        }

        /** The region opened at instruction first, or null if it cannot be moved. */
        private Region region(int first, int last, int anchor, boolean tail) {
            Region r = new Region(this, first, last, anchor, tail);
            // labels opened inside the region around the current instruction (a tail's block too)
            int inner = tail ? 1 : 0;
            for (int i = first; i <= last; i++) {
                int p = start[i] + 1;
                switch (op[i]) {
                    case BLOCK, LOOP, IF -> inner++;
                    case END -> inner--;
                    case BR, BR_IF -> {
                        int d = (int) readU32(wasm, p);
                        if (d >= inner && !r.exit(d - inner, true)) {
                            return null;
                        }
                        r.size += op[i] == OpCode.BR ? 4 : 8;
                    }
                    case BR_TABLE -> {
                        int count = (int) readU32(wasm, p);
                        boolean out = false;
                        boolean innerValue = false;
                        for (int k = 0; k <= count; k++) {
                            p += lebLength(wasm, p);
                            int d = (int) readU32(wasm, p);
                            if (d >= inner) {
                                out = true;
                                if (!r.exit(d - inner, false)) {
                                    return null;
                                }
                            } else {
                                innerValue |= labelValue(i, d) != NO_VALUE;
                            }
                        }
                        if (out && innerValue) {
                            return null; // the value would be outside the blocks that sort exits
                        }
                        r.size += 4 + 7 * (count + 1);
                    }
                    case RETURN -> {
                        if (!r.exit(depth[anchor], true)) {
                            return null;
                        }
                        r.size += 4;
                    }
                    case LOCAL_GET -> r.read.add((int) readU32(wasm, p));
                    case LOCAL_SET, LOCAL_TEE -> r.written.add((int) readU32(wasm, p));
                    default -> {
                        String name = op[i].name();
                        if (name.startsWith("TRY")
                                || name.startsWith("CATCH")
                                || name.startsWith("THROW")
                                || name.startsWith("RETHROW")
                                || name.startsWith("DELEGATE")
                                || name.startsWith("BR_ON")
                                || name.startsWith("RETURN_CALL")) {
                            return null;
                        }
                    }
                }
            }
            return r.finish() ? r : null;
        }

        /**
         * What a branch to label j (0 = the label just around instruction i) carries: {@link
         * #NO_VALUE}, one value (its type's byte) or {@link #UNUSABLE}.
         */
        int labelValue(int i, int j) {
            int opener = parent[i];
            for (int k = 0; k < j && opener >= 0; k++) {
                opener = parent[opener];
            }
            if (opener < 0) {
                if (j != depth[i] || type.returns().size() > 1) {
                    return UNUSABLE;
                }
                return type.returns().isEmpty() ? NO_VALUE : encode(type.returns().get(0));
            }
            int b = wasm[start[opener] + 1] & 0xff;
            if (b == 0x40) {
                return NO_VALUE;
            }
            if (b == 0x7f || b == 0x7e || b == 0x7d || b == 0x7c || b == 0x7b) {
                return op[opener] == OpCode.LOOP ? NO_VALUE : b;
            }
            return UNUSABLE; // a type index or a reference type: not worth the cases
        }

        /** The caller's local holding values of type t an exit carries, added on first use. */
        int carryLocal(int t) {
            return carryLocals.computeIfAbsent(t, k -> locals.size() + carryLocals.size());
        }
    }

    /** A region (a block or loop) to move into its own function. */
    private static final class Region {
        final Function f;
        final int first;
        final int last;

        /**
         * The region's own block: instruction first, or for a tail (the instructions after a
         * block's leading blocks up to its end) that block; labels outside are counted from it.
         */
        final int anchor;

        final boolean tail;
        int size; // the new function's code, roughly
        final TreeSet<Integer> read = new TreeSet<>();
        final TreeSet<Integer> written = new TreeSet<>();

        /** Outward label (0 = just around the region) to exit code - 1, in order. */
        final Map<Integer, Integer> exits = new LinkedHashMap<>();

        /** Outward label to the value its branches carry ({@link #NO_VALUE} or a type byte). */
        final Map<Integer, Integer> exitValue = new HashMap<>();

        /** The types of values exits carry, each returned by the new function after the code. */
        final TreeSet<Integer> carried = new TreeSet<>();

        int[] params;
        Map<Integer, Integer> local; // the function's local index to the new function's

        Region(Function f, int first, int last, int anchor, boolean tail) {
            this.anchor = anchor;
            this.tail = tail;
            this.f = f;
            this.first = first;
            this.last = last;
            this.size = f.end[last] - f.start[first] + 16;
        }

        int bytes() {
            return f.end[last] - f.start[first];
        }

        /**
         * At most {@code limit} bytes as a function, and not (nearly) all of a function of {@code
         * codeSize} bytes: a region moved out, found again in its new function, stays there.
         */
        boolean fits(int limit, int codeSize) {
            return size <= limit && codeSize - bytes() >= 16;
        }

        /** The instructions that replace the region, roughly. */
        int callBytes() {
            return 3 * (params.length + written.size()) + 8 + 3 * exits.size();
        }

        /**
         * Records a branch to outward label j; false if it cannot be moved: several values, or one
         * when {@code valueAllowed} is false.
         */
        boolean exit(int j, boolean valueAllowed) {
            int v = f.labelValue(anchor, j);
            if (v == UNUSABLE || (v != NO_VALUE && !valueAllowed)) {
                return false;
            }
            exits.putIfAbsent(j, exits.size());
            exitValue.put(j, v);
            if (v != NO_VALUE) {
                carried.add(v);
            }
            return true;
        }

        /** The new function's local for carried values of type t. */
        int carryIndex(int t) {
            return params.length + 1 + carried.headSet(t).size();
        }

        boolean finish() {
            TreeSet<Integer> all = new TreeSet<>(read);
            all.addAll(written);
            params = all.stream().mapToInt(Integer::intValue).toArray();
            local = new HashMap<>();
            int slots = 0;
            for (int k = 0; k < params.length; k++) {
                if (params[k] >= f.locals.size() || encode(f.locals.get(params[k])) < 0) {
                    return false;
                }
                ValType t = f.locals.get(params[k]);
                slots += t.equals(ValType.I64) || t.equals(ValType.F64) ? 2 : 1;
                local.put(params[k], k);
            }
            return slots <= MAX_PARAM_SLOTS;
        }

        /** The new function's type: (params) -> (i32 exit code, written locals). */
        byte[] type() {
            Bytes b = new Bytes();
            b.raw(new byte[] {0x60});
            b.u32(params.length);
            for (int p : params) {
                b.raw(new byte[] {(byte) encode(f.locals.get(p))});
            }
            b.u32(1 + carried.size() + written.size());
            b.raw(new byte[] {0x7f});
            for (int t : carried) {
                b.raw(new byte[] {(byte) t});
            }
            for (int w : written) {
                b.raw(new byte[] {(byte) encode(f.locals.get(w))});
            }
            return b.toByteArray();
        }

        /** The new function's body: the region inside a block that leaves the exit code. */
        byte[] body() {
            Bytes b = new Bytes();
            int scratch = params.length;
            b.u32(1 + carried.size());
            b.raw(new byte[] {1, 0x7f}); // for br_table's index
            for (int t : carried) {
                b.raw(new byte[] {1, (byte) t}); // for an exit's value
            }
            b.raw(new byte[] {0x02, 0x7f}); // block (result i32): the exit
            if (tail) {
                b.raw(new byte[] {0x02, 0x40}); // the tail's block: a branch to it ends the tail
            }
            int inner = tail ? 1 : 0;
            byte[] w = f.wasm;
            for (int i = first; i <= last; i++) {
                int p = f.start[i] + 1;
                switch (f.op[i]) {
                    case BLOCK, LOOP, IF -> {
                        inner++;
                        b.raw(w, f.start[i], f.end[i]);
                    }
                    case END -> {
                        inner--;
                        b.raw(w, f.start[i], f.end[i]);
                    }
                    case LOCAL_GET, LOCAL_SET, LOCAL_TEE -> {
                        b.raw(w, f.start[i], p);
                        b.u32(local.get((int) readU32(w, p)));
                    }
                    case BR -> {
                        int d = (int) readU32(w, p);
                        if (d < inner) {
                            b.raw(w, f.start[i], f.end[i]);
                        } else {
                            carry(b, d - inner, false);
                            leave(b, d - inner, inner);
                        }
                    }
                    case BR_IF -> {
                        int d = (int) readU32(w, p);
                        if (d < inner) {
                            b.raw(w, f.start[i], f.end[i]);
                        } else if (exitValue.get(d - inner) == NO_VALUE) {
                            b.raw(new byte[] {0x04, 0x40}); // if
                            leave(b, d - inner, inner + 1);
                            b.raw(new byte[] {0x0b});
                        } else {
                            // the condition aside, the value kept (on the stack if not taken)
                            b.raw(new byte[] {0x21});
                            b.u32(scratch);
                            carry(b, d - inner, true);
                            b.raw(new byte[] {0x20});
                            b.u32(scratch);
                            b.raw(new byte[] {0x04, 0x40}); // if
                            leave(b, d - inner, inner + 1);
                            b.raw(new byte[] {0x0b});
                        }
                    }
                    case BR_TABLE -> brTable(b, i, inner, scratch);
                    case RETURN -> {
                        carry(b, f.depth[anchor], false);
                        leave(b, f.depth[anchor], inner);
                    }
                    default -> b.raw(w, f.start[i], f.end[i]);
                }
            }
            if (tail) {
                b.raw(new byte[] {0x0b});
            }
            b.raw(new byte[] {0x41, 0}); // i32.const 0: ran to its end
            b.raw(new byte[] {0x0b});
            for (int t : carried) {
                b.raw(new byte[] {0x20});
                b.u32(carryIndex(t));
            }
            for (int x : written) {
                b.raw(new byte[] {0x20});
                b.u32(local.get(x));
            }
            b.raw(new byte[] {0x0b});
            return b.toByteArray();
        }

        /** Stores the value a branch to outward label j carries, if any (tee: keeps it). */
        private void carry(Bytes b, int j, boolean tee) {
            int v = exitValue.get(j);
            if (v != NO_VALUE) {
                b.raw(new byte[] {(byte) (tee ? 0x22 : 0x21)});
                b.u32(carryIndex(v));
            }
        }

        /** Branches out of the new function's exit block with outward label j's code. */
        private void leave(Bytes b, int j, int labelsInside) {
            b.raw(new byte[] {0x41});
            b.s32(exits.get(j) + 1);
            b.raw(new byte[] {0x0c});
            b.u32(labelsInside);
        }

        private void brTable(Bytes b, int i, int inner, int scratch) {
            byte[] w = f.wasm;
            int p = f.start[i] + 1;
            int count = (int) readU32(w, p);
            p += lebLength(w, p);
            int[] targets = new int[count + 1];
            List<Integer> outward = new ArrayList<>();
            for (int k = 0; k <= count; k++) {
                targets[k] = (int) readU32(w, p);
                p += lebLength(w, p);
                if (targets[k] >= inner && !outward.contains(targets[k] - inner)) {
                    outward.add(targets[k] - inner);
                }
            }
            if (outward.isEmpty()) {
                b.raw(w, f.start[i], f.end[i]);
                return;
            }
            int m = outward.size();
            b.raw(new byte[] {0x21});
            b.u32(scratch);
            for (int k = 0; k < m; k++) {
                b.raw(new byte[] {0x02, 0x40});
            }
            b.raw(new byte[] {0x20});
            b.u32(scratch);
            b.raw(new byte[] {0x0e});
            b.u32(count);
            for (int t : targets) {
                b.u32(t < inner ? t + m : outward.indexOf(t - inner));
            }
            for (int k = 0; k < m; k++) {
                b.raw(new byte[] {0x0b});
                leave(b, outward.get(k), inner + m - 1 - k);
            }
        }

        /**
         * The call that replaces the region, the locals it wrote and the branch on its exit code: 0
         * to just after the region, a carried value put back on the stack first.
         */
        void emitCall(Bytes b, int function) {
            List<Integer> valued = new ArrayList<>();
            for (int j : exits.keySet()) {
                if (exitValue.get(j) != NO_VALUE) {
                    valued.add(j);
                }
            }
            int mv = valued.size();
            int around = tail ? 1 : 0; // the call is still inside a tail's block
            if (!exits.isEmpty()) {
                b.raw(new byte[] {0x02, 0x40}); // block: where exit code 0 goes
            }
            for (int k = 0; k < mv; k++) {
                b.raw(new byte[] {0x02, 0x40}); // block: a valued exit's landing
            }
            for (int p : params) {
                b.raw(new byte[] {0x20});
                b.u32(p);
            }
            b.raw(new byte[] {0x10});
            b.u32(function);
            Integer[] ws = written.toArray(new Integer[0]);
            for (int k = ws.length - 1; k >= 0; k--) {
                b.raw(new byte[] {0x21});
                b.u32(ws[k]);
            }
            Integer[] cs = carried.toArray(new Integer[0]);
            for (int k = cs.length - 1; k >= 0; k--) {
                b.raw(new byte[] {0x21});
                b.u32(f.carryLocal(cs[k]));
            }
            if (exits.isEmpty()) {
                b.raw(new byte[] {0x1a}); // drop
                return;
            }
            b.raw(new byte[] {0x0e}); // br_table
            b.u32(exits.size() + 1);
            b.u32(mv);
            for (int j : exits.keySet()) {
                b.u32(exitValue.get(j) == NO_VALUE ? mv + 1 + around + j : valued.indexOf(j));
            }
            b.u32(mv);
            for (int k = 0; k < mv; k++) {
                b.raw(new byte[] {0x0b});
                int j = valued.get(k);
                b.raw(new byte[] {0x20});
                b.u32(f.carryLocal(exitValue.get(j)));
                b.raw(new byte[] {0x0c});
                b.u32(mv - 1 - k + 1 + around + j);
            }
            b.raw(new byte[] {0x0b});
        }
    }

    /** A value type's byte, or -1 for one a region's local may not have. */
    private static int encode(ValType t) {
        if (t.equals(ValType.I32)) {
            return 0x7f;
        } else if (t.equals(ValType.I64)) {
            return 0x7e;
        } else if (t.equals(ValType.F32)) {
            return 0x7d;
        } else if (t.equals(ValType.F64)) {
            return 0x7c;
        } else if (t.equals(ValType.V128)) {
            return 0x7b;
        }
        return -1;
    }

    private static long readU32(byte[] b, int p) {
        long v = 0;
        int shift = 0;
        while (true) {
            int x = b[p++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
            shift += 7;
        }
    }

    private static int lebLength(byte[] b, int p) {
        int q = p;
        while ((b[q] & 0x80) != 0) {
            q++;
        }
        return q - p + 1;
    }

    private static final class Bytes extends ByteArrayOutputStream {
        void raw(byte[] b) {
            write(b, 0, b.length);
        }

        void raw(byte[] b, int from, int to) {
            write(b, from, to - from);
        }

        void u32(int v) {
            long x = v & 0xffffffffL;
            do {
                int c = (int) (x & 0x7f);
                x >>>= 7;
                write(x != 0 ? c | 0x80 : c);
            } while (x != 0);
        }

        void s32(int v) {
            while (true) {
                int c = v & 0x7f;
                v >>= 7;
                if ((v == 0 && (c & 0x40) == 0) || (v == -1 && (c & 0x40) != 0)) {
                    write(c);
                    return;
                }
                write(c | 0x80);
            }
        }
    }
}
