package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.function.Function;

/**
 * A validated guest: the parsed module together with the machine factory compiled for exactly this
 * {@link WasmModule} object (Chicory's factory only fits instances of the module it was compiled
 * from, so the two are never separated).
 *
 * @param name the guest file name, used in messages and logs
 * @param module the parsed module
 * @param machineFactory compiled once by {@link GuestLoader}
 * @param memoryLimits initial pages as declared, maximum capped by {@code maxMemoryPages}; null for
 *     a guest without memory
 * @param instanceOverhead bytes one instance holds beyond its linear memory (tables, globals,
 *     per-function data), counted in the engine's {@link MemoryBudget} like its memory
 * @param hasInitialize the module exports {@code _initialize} (a WASI reactor), called before run
 * @param resetBlocker why an instance cannot be reset and reused, or null if it can
 * @param size the module's size in bytes
 */
public record GuestModule(
        String name,
        WasmModule module,
        Function<Instance, Machine> machineFactory,
        MemoryLimits memoryLimits,
        long instanceOverhead,
        boolean hasInitialize,
        String resetBlocker,
        int size) {

    /** True when an instance can be brought back to its initial state and reused. */
    public boolean resettable() {
        return resetBlocker == null;
    }

    /** True when the guest imports a KV hostcall (and so its deployment gets a store). */
    public boolean usesKv() {
        return module.importSection().stream()
                .anyMatch(i -> i.name().startsWith("hostcall_kvstore_"));
    }
}
