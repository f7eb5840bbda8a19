package dev.vivarium.core.engine;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.OpCode;
import dev.vivarium.core.abi.Hostcall;
import dev.vivarium.core.abi.Hostcalls;
import dev.vivarium.core.abi.WasiHostcalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a guest from {@code .wasm} or {@code .wat}, checks it is a Terrarium guest this host can
 * run, and compiles it once with Chicory's runtime compiler (never the interpreter: it is 50-400x
 * slower and cannot always be interrupted).
 */
public final class GuestLoader {
    /**
     * Instructions whose effects a reset ({@link PooledInstance#reset()}) does not undo: they
     * change tables or drop segments, state that would leak into the next request if the instance
     * were reused.
     */
    private static final Set<OpCode> RESET_BLOCKERS =
            EnumSet.of(
                    OpCode.TABLE_SET,
                    OpCode.TABLE_GROW,
                    OpCode.TABLE_FILL,
                    OpCode.TABLE_COPY,
                    OpCode.TABLE_INIT,
                    OpCode.ELEM_DROP,
                    OpCode.DATA_DROP);

    private static final FunctionType RUN_TYPE = FunctionType.empty();

    /** Chicory's message for a function no JVM method can hold, with the function's index. */
    private static final Pattern TOO_LARGE_TO_COMPILE =
            Pattern.compile(
                    "exceeds the Java method size limits.*function index: (\\d+)", Pattern.DOTALL);

    /**
     * Everything besides the module and Chicory's version that changes the classes the compiler
     * generates: bump it whenever this class changes what it hands the compiler (a transform of the
     * module, a compile option), or {@link CompiledClassCache} serves classes of the old code.
     */
    static final String CODE_VERSION =
            "2;interpreterFallback=FAIL;splitter=" + FunctionSplitter.VERSION;

    /** The cache key's code part for a load that splits functions over {@code splitOver} bytes. */
    static String codeVersion(int splitOver) {
        return CODE_VERSION + ";splitOver=" + splitOver;
    }

    /** The cache key's code part for a load at this JVM's split setting. */
    static String codeVersion() {
        return codeVersion(splitOver());
    }

    /**
     * The module the compiler gets: {@code module} with its large functions split. When its classes
     * are cached, the binary stored with them is parsed instead of splitting again (a Rust guest's
     * split costs more than the cached load itself); otherwise the split binary is attached to
     * {@code entry}, to be stored with the classes compiled from it.
     */
    private static FunctionSplitter.Split splitFunctions(
            String name,
            byte[] bytes,
            WasmModule module,
            int splitOver,
            CompiledClassCache.Entry entry)
            throws GuestLoadException {
        byte[] known = entry.binary();
        if (known != null) {
            return new FunctionSplitter.Split(known, parse(name, known, false));
        }
        FunctionSplitter.Split split = FunctionSplitter.splitModule(name, bytes, module, splitOver);
        if (split.binary() != bytes) {
            entry.attach(split.binary());
        }
        return split;
    }

    private GuestLoader() {}

    /** Reads, validates and compiles a guest file, with the other limits at their defaults. */
    public static GuestModule load(Path file, int maxMemoryPages) throws GuestLoadException {
        return load(file, GuestLimits.withMemoryPages(maxMemoryPages));
    }

    /** Reads, validates and compiles a guest file. */
    public static GuestModule load(Path file, GuestLimits limits) throws GuestLoadException {
        String name = file.getFileName().toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new GuestLoadException(
                    name + ": guest file not found at " + file.toAbsolutePath());
        } catch (IOException e) {
            throw new GuestLoadException(
                    name + ": cannot read " + file.toAbsolutePath() + ": " + e, e);
        }
        return load(name, bytes, limits);
    }

    /**
     * Validates and compiles a guest given as bytes; {@code name} ending in {@code .wat} means
     * WebAssembly text, converted in the JVM.
     */
    public static GuestModule load(String name, byte[] bytes, int maxMemoryPages)
            throws GuestLoadException {
        return load(name, bytes, GuestLimits.withMemoryPages(maxMemoryPages));
    }

    /**
     * Validates and compiles a guest given as bytes; {@code name} ending in {@code .wat} means
     * WebAssembly text, converted in the JVM. Nothing is parsed or compiled that is past {@code
     * limits} or uses a refused proposal ({@link ModuleScreen}).
     */
    public static GuestModule load(String name, byte[] bytes, GuestLimits limits)
            throws GuestLoadException {
        return load(name, bytes, limits, splitOver());
    }

    /**
     * {@code -Dvivarium.splitLargeFunctions=false} turns {@link FunctionSplitter} off (to compare,
     * or should it ever be at fault); a number splits functions whose code is over that many bytes
     * (tests force splitting with a low one).
     */
    public static final String SPLIT_PROPERTY = "vivarium.splitLargeFunctions";

    private static int splitOver() {
        String value = System.getProperty(SPLIT_PROPERTY, "true").trim();
        if (value.equalsIgnoreCase("false")) {
            return Integer.MAX_VALUE;
        }
        try {
            return Math.max(1, Integer.parseInt(value));
        } catch (NumberFormatException e) {
            return FunctionSplitter.MAX_BODY_BYTES;
        }
    }

    /**
     * As {@link #load(String, byte[], GuestLimits)}, splitting functions whose code is over {@code
     * splitOver} bytes ({@link FunctionSplitter}; tests force it with a low value).
     */
    static GuestModule load(String name, byte[] bytes, GuestLimits limits, int splitOver)
            throws GuestLoadException {
        if (name.toLowerCase(Locale.ROOT).endsWith(".wat")) {
            bytes = watToWasm(name, bytes);
        }
        checkHeader(name, bytes);
        BinaryScreen.check(name, bytes, limits);
        CompiledClassCache cache = CompiledClassCache.installed();
        String sha256 = CompiledClassCache.sha256Hex(bytes);
        CompiledClassCache.Entry cached = cache.entry(sha256, codeVersion(splitOver));
        // entries are written only for modules that validated, and Chicory's validation is most
        // of a parse (its validator is one method too large for HotSpot to JIT at default flags)
        boolean validate = cached.get(null) == null;
        WasmModule module = parse(name, bytes, validate);
        long overhead = ModuleScreen.check(name, module, limits);
        checkImports(name, module);
        checkRunExport(name, module);
        MemoryLimits memory = memoryLimits(name, module, limits.maxMemoryPages());
        FunctionSplitter.Split split = splitFunctions(name, bytes, module, splitOver, cached);
        java.util.function.Function<
                        com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine>
                compiled;
        try {
            compiled = compile(name, split.module(), cached);
            if (compiled == null) {
                // the cached classes did not load: as for a module never seen
                module = parse(name, bytes, true);
                split = splitFunctions(name, bytes, module, splitOver, cached);
                compiled = compile(name, split.module(), cached);
            }
        } catch (GuestLoadException e) {
            if (split.module() == module) {
                throw e;
            }
            FunctionSplitter.failed(name, e);
            split = new FunctionSplitter.Split(bytes, module);
            // the unsplit module's classes under a key of their own
            compiled = compile(name, module, cache.entry(sha256, CODE_VERSION + ";unsplit"));
        }
        boolean hasInit = hasFunctionExport(module, "_initialize");
        return new GuestModule(
                name,
                split.module(),
                compiled,
                memory,
                overhead,
                hasInit,
                resetBlocker(module),
                bytes.length);
    }

    /**
     * The text's binary, from the compile cache when this text was converted before by this wabt
     * (converting runs wat2wasm, itself a large compiled module, over an in-memory file system:
     * about 200 ms of a start with a WAT guest, and 400 classes).
     */
    private static byte[] watToWasm(String name, byte[] text) throws GuestLoadException {
        String wabt = CompiledClassCache.WABT_VERSION;
        if (wabt == null) {
            return WatText.toWasm(name, text);
        }
        CompiledClassCache.Entry cached =
                CompiledClassCache.installed()
                        .entry(CompiledClassCache.sha256Hex(text), "wat2wasm=" + wabt);
        if (cached.get(null) != null && cached.binary() != null) {
            return cached.binary();
        }
        byte[] wasm = WatText.toWasm(name, text);
        // only text that converted: a mistake is reported again, with wat2wasm's message
        cached.attach(wasm);
        cached.putIfAbsent(null, new byte[0]);
        return wasm;
    }

    private static void checkHeader(String name, byte[] bytes) throws GuestLoadException {
        if (bytes.length < 8
                || bytes[0] != 0
                || bytes[1] != 'a'
                || bytes[2] != 's'
                || bytes[3] != 'm') {
            throw new GuestLoadException(
                    name
                            + ": not a WebAssembly module (no \\0asm header; "
                            + bytes.length
                            + " bytes)");
        }
    }

    private static WasmModule parse(String name, byte[] bytes, boolean validate)
            throws GuestLoadException {
        try {
            return validate
                    ? Parser.parse(bytes)
                    : Parser.builder()
                            .withValidation(false)
                            .build()
                            .parse(() -> new java.io.ByteArrayInputStream(bytes));
        } catch (RuntimeException | AssertionError | StackOverflowError e) {
            // an assertion (with -ea) or a deep recursion in the parser: the module's fault too
            throw new GuestLoadException(
                    name
                            + ": malformed WebAssembly module: "
                            + (e instanceof ChicoryException
                                    ? GuestFaults.describe(e)
                                    // Chicory's parser trips on what it did not check (a JDK
                                    // exception): the module contradicts itself somewhere
                                    : "inconsistent or truncated content"),
                    e);
        }
    }

    private static void checkImports(String name, WasmModule module) throws GuestLoadException {
        var imports = module.importSection();
        List<String> missingWasi = new ArrayList<>();
        for (int i = 0; i < imports.importCount(); i++) {
            Import imp = imports.getImport(i);
            String what = name + ": import \"" + imp.module() + "\".\"" + imp.name() + "\"";
            if (!(imp instanceof FunctionImport fi)) {
                String kind = imp.importType().name().toLowerCase(Locale.ROOT);
                throw new GuestLoadException(
                        what
                                + " is a "
                                + kind
                                + (imp.importType() == ExternalType.TAG
                                        ? " (" + BinaryScreen.EXCEPTIONS + ")"
                                        : "")
                                + "; guests may import only hostcall functions from \""
                                + Hostcalls.MODULE
                                + "\"");
            }
            Hostcall hc = Hostcalls.find(imp.module(), imp.name());
            if (hc == null && WasiHostcalls.MODULE.equals(imp.module())) {
                missingWasi.add(imp.name());
                continue;
            }
            if (hc == null) {
                throw new GuestLoadException(
                        what
                                + " is not a hostcall this host provides; hostcalls are imported from \""
                                + Hostcalls.MODULE
                                + "\" (see guests/ABI.md)");
            }
            FunctionType actual = module.typeSection().getType(fi.typeIndex());
            if (!actual.equals(hc.type())) {
                throw new GuestLoadException(
                        what
                                + " has type "
                                + describe(actual)
                                + ", expected "
                                + describe(hc.type()));
            }
        }
        if (!missingWasi.isEmpty()) {
            throw new GuestLoadException(
                    name
                            + ": imports WASI function"
                            + (missingWasi.size() == 1 ? " " : "s ")
                            + String.join(", ", missingWasi)
                            + " from \""
                            + WasiHostcalls.MODULE
                            + "\", which this host does not provide; it provides only "
                            + String.join(", ", Hostcalls.inModule(WasiHostcalls.MODULE).keySet())
                            + " (see guests/ABI.md, \"WASI subset\")");
        }
    }

    private static void checkRunExport(String name, WasmModule module) throws GuestLoadException {
        Export run = findExport(module, "run");
        if (run == null) {
            throw new GuestLoadException(name + ": missing export \"run\" (a function () -> ())");
        }
        if (run.exportType() != ExternalType.FUNCTION) {
            throw new GuestLoadException(
                    name
                            + ": export \"run\" is a "
                            + run.exportType().name().toLowerCase(Locale.ROOT)
                            + ", expected a function () -> ()");
        }
        FunctionType type = functionType(module, run.index());
        if (!type.equals(RUN_TYPE)) {
            throw new GuestLoadException(
                    name + ": export \"run\" has type " + describe(type) + ", expected () -> ()");
        }
    }

    private static MemoryLimits memoryLimits(String name, WasmModule module, int maxPages)
            throws GuestLoadException {
        var section = module.memorySection();
        if (section.isEmpty() || section.get().memoryCount() == 0) {
            return null;
        }
        if (section.get().memoryCount() > 1) {
            throw new GuestLoadException(
                    name
                            + ": defines "
                            + section.get().memoryCount()
                            + " memories; a guest may have one (the ABI's pointers address one memory)");
        }
        MemoryLimits declared = section.get().getMemory(0).limits();
        if (declared.shared()) {
            // BinaryScreen refuses it first; never make it silently unshared
            throw new GuestLoadException(
                    name
                            + ": uses "
                            + BinaryScreen.THREADS
                            + " (a shared memory); "
                            + ModuleScreen.SUPPORTED);
        }
        if (declared.initialPages() > maxPages) {
            throw new GuestLoadException(
                    name
                            + ": needs "
                            + declared.initialPages()
                            + " initial memory pages, more than maxMemoryPages ("
                            + maxPages
                            + ")");
        }
        return new MemoryLimits(
                declared.initialPages(), Math.min(declared.maximumPages(), maxPages));
    }

    private static java.util.function.Function<
                    com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine>
            compile(String name, WasmModule module, CompiledClassCache.Entry entry)
                    throws GuestLoadException {
        try {
            // the cache also hands over the generated classes, to name the huge methods
            java.util.function.Function<
                            com.dylibso.chicory.runtime.Instance,
                            com.dylibso.chicory.runtime.Machine>
                    factory;
            try {
                factory = compiler(module).withCache(entry).compile();
            } catch (RuntimeException | LinkageError e) {
                if (!entry.hit()) {
                    throw e;
                }
                // intact on disk but not loadable here: the caller validates and compiles
                entry.reject("its classes did not load: " + e);
                return null;
            }
            if (entry.jar() != null && JvmCheck.hugeMethodsStayInterpreted()) {
                JvmCheck.warnAboutHugeFunctions(name, entry.jar());
            }
            return factory;
        } catch (RuntimeException | AssertionError | StackOverflowError e) {
            Matcher tooLarge = TOO_LARGE_TO_COMPILE.matcher(String.valueOf(e.getMessage()));
            if (tooLarge.find()) {
                // Chicory's own words suggest an interpreter fallback this host never enables
                throw GuestLoadException.tooLarge(
                        name
                                + ": function "
                                + tooLarge.group(1)
                                + " is too large to compile to JVM bytecode (one JVM method"
                                + " holds at most 64 KiB); split it into smaller functions");
            }
            throw new GuestLoadException(
                    name + ": cannot be compiled: " + GuestFaults.describe(e), e);
        }
    }

    private static MachineFactoryCompiler.Builder compiler(WasmModule module) {
        return MachineFactoryCompiler.builder(module)
                .withInterpreterFallback(InterpreterFallback.FAIL);
    }

    private static String resetBlocker(WasmModule module) {
        if (module.startSection().isPresent()) {
            // it runs at instantiation, which happens under the request's deadline (Dispatcher)
            return "has a start function, which runs at instantiation";
        }
        FunctionBody[] bodies = module.codeSection().functionBodies();
        for (FunctionBody body : bodies) {
            for (Instruction ins : body.instructions()) {
                if (RESET_BLOCKERS.contains(ins.opcode())) {
                    return "uses " + ins.opcode() + ", whose effect a reset does not undo";
                }
            }
        }
        return null;
    }

    private static Export findExport(WasmModule module, String exportName) {
        var exports = module.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            if (exports.getExport(i).name().equals(exportName)) {
                return exports.getExport(i);
            }
        }
        return null;
    }

    private static boolean hasFunctionExport(WasmModule module, String exportName) {
        Export e = findExport(module, exportName);
        return e != null && e.exportType() == ExternalType.FUNCTION;
    }

    private static FunctionType functionType(WasmModule module, int funcIndex) {
        int imported = module.importSection().count(ExternalType.FUNCTION);
        if (funcIndex < imported) {
            int count = 0;
            for (int i = 0; i < module.importSection().importCount(); i++) {
                Import imp = module.importSection().getImport(i);
                if (imp instanceof FunctionImport fi && count++ == funcIndex) {
                    return module.typeSection().getType(fi.typeIndex());
                }
            }
        }
        return module.functionSection().getFunctionType(funcIndex - imported, module.typeSection());
    }

    /** A function type as {@code guests/ABI.md} writes it: {@code (i32 i32) -> i32}. */
    static String describe(FunctionType type) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < type.params().size(); i++) {
            sb.append(i == 0 ? "" : " ")
                    .append(type.params().get(i).toString().toLowerCase(Locale.ROOT));
        }
        sb.append(") -> ");
        var results = type.returns();
        if (results.size() == 1) {
            return sb.append(results.get(0).toString().toLowerCase(Locale.ROOT)).toString();
        }
        sb.append('(');
        for (int i = 0; i < results.size(); i++) {
            sb.append(i == 0 ? "" : " ").append(results.get(i).toString().toLowerCase(Locale.ROOT));
        }
        return sb.append(')').toString();
    }
}
