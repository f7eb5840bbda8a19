package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import dev.vivarium.core.abi.Hostcalls;

/** One Chicory instance with the slot its hostcalls read the current request from. */
final class PooledInstance {
    final Instance instance;
    final Hostcalls.Slot slot;
    final ExportFunction run;
    final ExportFunction initialize;
    private int uses;

    PooledInstance(Instance instance, Hostcalls.Slot slot, boolean hasInitialize) {
        this.instance = instance;
        this.slot = slot;
        this.run = instance.export("run");
        this.initialize = hasInitialize ? instance.export("_initialize") : null;
    }

    /**
     * Brings the instance back to the state a new instance has: memory to its initial size, then
     * {@code Instance.initialize} (memory zeroed and data segments rewritten, globals and table
     * elements re-evaluated, start function run).
     */
    void reset() {
        if (instance.memory() instanceof ResettableMemory m) {
            m.shrinkToInitial();
        }
        instance.initialize(false);
    }

    int uses() {
        return uses;
    }

    void used() {
        uses++;
    }
}
