package dev.vivarium.core.abi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Import;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that lists every hostcall family the host provides, and binds them to an instance.
 * Every import lives in module {@link #MODULE}.
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
                    new DnsHostcalls());

    private static final Map<String, Hostcall> BY_NAME = index();

    private Hostcalls() {}

    private static Map<String, Hostcall> index() {
        Map<String, Hostcall> m = new LinkedHashMap<>();
        for (HostcallFamily f : FAMILIES) {
            for (Hostcall h : f.hostcalls()) {
                if (m.put(h.name(), h) != null) {
                    throw new IllegalStateException("hostcall listed twice: " + h.name());
                }
            }
        }
        return Collections.unmodifiableMap(m);
    }

    /** Every hostcall by name, in family order. */
    public static Map<String, Hostcall> all() {
        return BY_NAME;
    }

    /** Holds the context of the request an instance is serving; one per instance. */
    public static final class Slot {
        private CallContext current;

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
                Hostcall hc = BY_NAME.get(imp.name());
                if (hc == null || !MODULE.equals(imp.module())) {
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
                MODULE,
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
                        return returns ? new long[] {r} : null;
                    } catch (HostcallTrap t) {
                        throw t.in(name);
                    }
                });
    }
}
