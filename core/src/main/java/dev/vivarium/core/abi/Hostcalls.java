package dev.vivarium.core.abi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Import;
import dev.vivarium.core.resources.NoMemoryException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that lists every hostcall family the host provides, and binds them to an instance.
 * The Terrarium hostcalls live in module {@link #MODULE}; the WASI preview1 subset that libc-based
 * guests import lives in {@link WasiHostcalls#MODULE}.
 */
public final class Hostcalls {
    /** The import module of every hostcall. */
    public static final String MODULE = "env";

    private static final List<HostcallFamily> FAMILIES =
            List.of(
                    new RequestHostcalls(),
                    new ResponseHostcalls(),
                    new MemoryHostcalls(),
                    new SystemHostcalls(),
                    new KvHostcalls(),
                    new HttpHostcalls(),
                    new DnsHostcalls(),
                    new WasiHostcalls());

    /** Every hostcall by {@code module + "." + name}. */
    private static final Map<String, Hostcall> BY_IMPORT = index();

    /** The hostcalls of module {@link #MODULE} by name. */
    private static final Map<String, Hostcall> BY_NAME = inModule(MODULE);

    private Hostcalls() {}

    private static Map<String, Hostcall> index() {
        Map<String, Hostcall> m = new LinkedHashMap<>();
        for (HostcallFamily f : FAMILIES) {
            for (Hostcall h : f.hostcalls()) {
                if (m.put(key(h.module(), h.name()), h) != null) {
                    throw new IllegalStateException(
                            "hostcall listed twice: " + key(h.module(), h.name()));
                }
            }
        }
        return Collections.unmodifiableMap(m);
    }

    private static String key(String module, String name) {
        return module + "." + name;
    }

    /** Every hostcall of {@code module} by name, in family order. */
    public static Map<String, Hostcall> inModule(String module) {
        Map<String, Hostcall> m = new LinkedHashMap<>();
        for (Hostcall h : BY_IMPORT.values()) {
            if (h.module().equals(module)) {
                m.put(h.name(), h);
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** Every hostcall of module {@link #MODULE} (the Terrarium ABI) by name, in family order. */
    public static Map<String, Hostcall> all() {
        return BY_NAME;
    }

    /** The hostcall a guest imports as {@code module.name}, or null if the host has none. */
    public static Hostcall find(String module, String name) {
        return BY_IMPORT.get(key(module, name));
    }

    /** Holds the context of the request an instance is serving; one per instance. */
    public static final class Slot {
        private CallContext current;

        /**
         * The result array of this instance's hostcalls, reused: Chicory's compiled code reads the
         * value out of it as soon as the host function returns, and the instance runs on one
         * thread.
         */
        private final long[] result = new long[1];

        public CallContext current() {
            return current;
        }

        public void set(CallContext ctx) {
            this.current = ctx;
        }
    }

    /**
     * Host functions for exactly the imports of {@code module}, each reading its request context
     * from {@code slot}. The module must have been validated by the loader, so every import is a
     * known hostcall with the right type.
     */
    public static ImportValues importsFor(WasmModule module, Slot slot) {
        List<HostFunction> functions = new ArrayList<>();
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            Import imp = imports.getImport(i);
            if (imp instanceof FunctionImport) {
                Hostcall hc = find(imp.module(), imp.name());
                if (hc == null) {
                    throw new IllegalStateException(
                            "unvalidated import " + imp.module() + "." + imp.name());
                }
                functions.add(bind(hc, slot));
            }
        }
        return ImportValues.builder().addFunction(functions.toArray(HostFunction[]::new)).build();
    }

    private static HostFunction bind(Hostcall hc, Slot slot) {
        boolean returns = !hc.type().returns().isEmpty();
        Hostcall.Body body = hc.body();
        String name = hc.name();
        return new HostFunction(
                hc.module(),
                name,
                hc.type(),
                (instance, args) -> {
                    CallContext ctx = slot.current;
                    if (ctx == null) {
                        throw new HostcallTrap(
                                name + " called outside a request (from a start function?)");
                    }
                    try {
                        long r = body.call(ctx, args);
                        if (!returns) {
                            return null;
                        }
                        // written after the call: a hostcall that calls the guest's malloc may
                        // run other hostcalls of this instance first
                        long[] out = slot.result;
                        out[0] = r;
                        return out;
                    } catch (HostcallTrap t) {
                        throw t.in(name);
                    } catch (NoMemoryException e) {
                        throw e.in(name);
                    }
                });
    }
}
