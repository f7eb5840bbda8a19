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
    private final int initialPages;
    private int uses;

    PooledInstance(Instance instance, Hostcalls.Slot slot, boolean hasInitialize) {
        this.instance = instance;
        this.slot = slot;
        this.run = instance.export("run");
        this.initialize = hasInitialize ? instance.export("_initialize") : null;
        this.initialPages = pages();
    }

    private int pages() {
        try {
            return instance.memory() == null ? 0 : instance.memory().pages();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** Memory that grew stays grown after a reset, so such an instance is not reused. */
    boolean memoryGrew() {
        return pages() != initialPages;
    }

    int uses() {
        return uses;
    }

    void used() {
        uses++;
    }
}
