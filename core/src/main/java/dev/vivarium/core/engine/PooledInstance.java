package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.abi.GuestMemory;
import dev.vivarium.core.abi.Hostcalls;
import java.util.ArrayList;
import java.util.List;

/** One Chicory instance with the slot its hostcalls read the current request from. */
final class PooledInstance {
    final Instance instance;
    final Hostcalls.Slot slot;
    final ExportFunction run;
    final ExportFunction initialize;

    /**
     * The instance's memory as hostcalls see it, its allocator the current request's ({@link
     * CallContext#instanceMemory}); null if it has no memory. One per instance, not per request.
     */
    final GuestMemory guestMemory;

    /** Every global's value right after instantiation, before any request ran. */
    private final long[] globalLow;

    private final long[] globalHigh;
    private final DataSegment[] dataSegments;

    /**
     * The active data segments of memory 0 as instantiation wrote them: their offsets (evaluated
     * once, they are constant: guests import no globals) and bytes. {@code DataSegment.data()}
     * returns a copy on every call, and re-evaluating each offset allocates too, which made a Rust
     * hello guest's reset allocate 11 KB per request.
     */
    private final int[] segmentOffsets;

    private final byte[][] segmentBytes;

    /** Where its tables and globals are counted ({@link GuestModule#instanceOverhead()}). */
    private final MemoryBudget budget;

    private long overhead;

    PooledInstance(Instance instance, Hostcalls.Slot slot, GuestModule guest, MemoryBudget budget) {
        this.instance = instance;
        this.budget = budget;
        this.overhead = guest.instanceOverhead();
        this.slot = slot;
        this.run = instance.export("run");
        this.initialize = guest.hasInitialize() ? instance.export("_initialize") : null;
        this.dataSegments = guest.module().dataSection().dataSegments();
        List<ActiveDataSegment> active = new ArrayList<>();
        for (DataSegment d : dataSegments) {
            if (d instanceof ActiveDataSegment a && a.index() == 0) {
                active.add(a);
            }
        }
        this.segmentOffsets = new int[active.size()];
        this.segmentBytes = new byte[active.size()][];
        for (int i = 0; i < segmentOffsets.length; i++) {
            ActiveDataSegment a = active.get(i);
            segmentOffsets[i] =
                    (int)
                            ConstantEvaluators.computeConstantValue(
                                    instance, a.offsetInstructions())[0];
            segmentBytes[i] = a.data();
        }
        this.guestMemory =
                instance.memory() == null
                        ? null
                        : CallContext.instanceMemory(instance.memory(), slot);
        int globals = instance.globalCount();
        this.globalLow = new long[globals];
        this.globalHigh = new long[globals];
        for (int i = 0; i < globals; i++) {
            GlobalInstance g = instance.global(i);
            globalLow[i] = g.getValueLow();
            globalHigh[i] = g.getValueHigh();
        }
        // Guests import nothing but functions (GuestLoader), so global initial values are
        // constants and can be restored from the snapshot.
    }

    /**
     * Gives the instance's memory, tables and globals back to the engine's budget; the instance is
     * not used again. Idempotent.
     */
    void discard() {
        if (instance.memory() instanceof ResettableMemory m) {
            m.release();
        }
        budget.release(overhead);
        overhead = 0;
    }

    /** Whether its memory knows what a request wrote ({@link TrackedMemory}). */
    boolean tracksWrites() {
        return instance.memory() instanceof TrackedMemory;
    }

    /** Why a {@code memory.grow} of this instance failed since its last reset, or null. */
    ResettableMemory.GrowRefusal growRefusal() {
        return instance.memory() instanceof ResettableMemory m ? m.refusal() : null;
    }

    /**
     * Brings the instance back to the state a new instance has.
     *
     * <p>Memory goes back to its initial size ({@link ResettableMemory}), is zero (a {@link
     * TrackedMemory} zeroes only the 4 KiB chunks written since the last reset) and gets its data
     * segments again; globals get their initial values. Tables need nothing: a resettable module
     * has no instruction that changes a table or drops a segment ({@link GuestLoader}), so they
     * still hold exactly what instantiation put there. This is what {@code Instance.initialize}
     * does, minus re-evaluating every table element and global initializer, which was a third of a
     * small guest's request time. Only instances of resettable modules are reset ({@link
     * GuestModule#resettable()}), and those have no start function to run again.
     */
    void reset() {
        // every memory is the pool's (InstancePool.create): guests import no memory
        ResettableMemory memory = (ResettableMemory) instance.memory();
        if (memory != null) {
            if (memory.shrinkToInitial()) {
                // new and all zero; Chicory's initialize also gives it the segments memory.init
                // reads
                memory.initialize(instance, dataSegments);
            } else {
                // zero (a TrackedMemory: only what was written), then the segments' bytes again,
                // without copying each segment or evaluating its offset again
                memory.resetInitial(segmentOffsets, segmentBytes);
            }
        }
        for (int i = 0; i < globalLow.length; i++) {
            GlobalInstance g = instance.global(i);
            g.setValueLow(globalLow[i]);
            g.setValueHigh(globalHigh[i]);
        }
    }
}
