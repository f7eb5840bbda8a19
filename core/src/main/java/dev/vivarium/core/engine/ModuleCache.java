package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The compiled modules of one engine, by the SHA-256 of their bytes: deployments uploaded with the
 * same module share one parsed {@link WasmModule} and one compiled machine factory (its generated
 * classes), each with a {@link GuestModule} of its own name. An entry refers to them weakly: it
 * lives while some deployment's guest uses them, and once the last deployment with those bytes is
 * removed or replaced the garbage collector takes the module and its classes, and the entry goes
 * with them. The key includes the {@link GuestLimits} the module was checked against and whether it
 * was text, so a hit skips exactly the checks the first load passed. Thread-safe; two loads of the
 * same new bytes at once may both compile, and one result is kept.
 */
public final class ModuleCache {
    /** What the cache is keyed by: the bytes as uploaded, how they are read, what they must fit. */
    record Key(String sha256, boolean text, GuestLimits limits) {}

    /** Loads a module that is not in the cache, as {@link GuestLoader#load} does. */
    @FunctionalInterface
    public interface Loader {
        GuestModule load() throws GuestLoadException;
    }

    private static final class Entry extends WeakReference<Function<Instance, Machine>> {
        final Key key;
        final WeakReference<WasmModule> module;
        final MemoryLimits memoryLimits;
        final long instanceOverhead;
        final boolean hasInitialize;
        final String resetBlocker;
        final int size;

        Entry(Key key, GuestModule m, ReferenceQueue<Object> queue) {
            super(m.machineFactory(), queue);
            this.key = key;
            this.module = new WeakReference<>(m.module());
            this.memoryLimits = m.memoryLimits();
            this.instanceOverhead = m.instanceOverhead();
            this.hasInitialize = m.hasInitialize();
            this.resetBlocker = m.resetBlocker();
            this.size = m.size();
        }

        /** The shared module under another name, or null once the collector took it. */
        GuestModule named(String name) {
            Function<Instance, Machine> factory = get();
            WasmModule parsed = module.get();
            if (factory == null || parsed == null) {
                return null;
            }
            return new GuestModule(
                    name,
                    parsed,
                    factory,
                    memoryLimits,
                    instanceOverhead,
                    hasInitialize,
                    resetBlocker,
                    size);
        }
    }

    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
    private final ReferenceQueue<Object> released = new ReferenceQueue<>();
    private final java.util.concurrent.atomic.LongAdder hits =
            new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder misses =
            new java.util.concurrent.atomic.LongAdder();

    /**
     * The module {@code bytes} compile to, named {@code name}: shared with every other guest loaded
     * from the same bytes under the same limits while one of them is in use, else loaded (checked
     * and compiled) by {@code loader}.
     *
     * @param name the guest file name; ending in {@code .wat} means WebAssembly text
     */
    public GuestModule load(String name, byte[] bytes, GuestLimits limits, Loader loader)
            throws GuestLoadException {
        purge();
        Key key = new Key(sha256(bytes), name.toLowerCase(Locale.ROOT).endsWith(".wat"), limits);
        Entry e = entries.get(key);
        GuestModule shared = e == null ? null : e.named(name);
        if (shared != null) {
            hits.increment();
            return shared;
        }
        misses.increment();
        GuestModule loaded = loader.load();
        Entry fresh = new Entry(key, loaded, released);
        Entry kept =
                entries.compute(
                        key, (k, old) -> old != null && old.named(name) != null ? old : fresh);
        if (kept != fresh) {
            // another load of the same bytes finished first: use its module, drop this one
            GuestModule other = kept.named(name);
            if (other != null) {
                return other;
            }
        }
        return loaded;
    }

    /** Modules in the cache now: those some guest still uses (or not yet collected). */
    public int size() {
        purge();
        return entries.size();
    }

    /** Loads that found their module compiled already. */
    public long hits() {
        return hits.sum();
    }

    /** Loads that compiled their module. */
    public long misses() {
        return misses.sum();
    }

    /** Drops the entries whose module the collector took. */
    private void purge() {
        for (Reference<?> r = released.poll(); r != null; r = released.poll()) {
            Entry gone = (Entry) r;
            entries.remove(gone.key, gone);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ModuleCache[" + size() + " modules, " + hits() + " hits, " + misses() + " misses]";
    }
}
