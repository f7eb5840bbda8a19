package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.vivarium.core.abi.Hostcalls;
import dev.vivarium.core.resources.NoMemoryException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Instances of one guest, each handed out with exactly the state a brand-new instance has.
 *
 * <p>After a request an instance is reset ({@link PooledInstance#reset()}: memory back to its
 * initial size and content, globals to their initial values) and kept for the next request, which
 * costs a few microseconds per memory page instead of building a new instance. An instance is
 * discarded instead when its run trapped or was interrupted (its state is unknown), or when the
 * module uses instructions whose effects a reset does not undo or has a start function ({@link
 * GuestModule#resetBlocker()}); such modules get a new instance per request, built under the
 * request's deadline (a start function is guest code).
 *
 * <p>Instances of a pool that resets them start with a {@link TrackedMemory}, which knows the 4 KiB
 * chunks a request wrote, so the reset zeroes only those (a WAT or C hello guest's engine cost
 * drops by a quarter to two fifths). It costs every store a compare, though, which a store-heavy
 * guest would pay on every byte, so the pool watches how long its requests take (the shortest of
 * each {@value #WINDOW}): once even the shortest takes longer than {@value #TRACK_NANOS_PER_PAGE}
 * ns per initial page (more than about ten times what zeroing those pages costs, so a full reset is
 * cheap next to the request), new instances get plain {@link ResettableMemory} and idle ones are
 * dropped; when requests are short again (half that), tracking comes back. {@code
 * -Dvivarium.trackWrites=false} turns tracking off.
 *
 * <p>At most {@code maxIdle} instances are kept; more are built on demand under load and dropped
 * when released. Every instance's memory is counted in the engine's {@link MemoryBudget}, which may
 * drop idle instances when memory is short. Thread-safe; each instance is used by one thread at a
 * time.
 */
public final class InstancePool {
    private static final Logger LOG = LoggerFactory.getLogger(InstancePool.class);

    private final GuestModule guest;
    private final int maxIdle;
    private final MemoryBudget budget;
    private final IdleStack idle = new IdleStack();
    private final AtomicInteger idleCount = new AtomicInteger();

    /** Requests per judgement of whether tracking writes pays ({@link #judge}). */
    static final int WINDOW = 64;

    /** Requests longer than this per initial page, at their shortest, make tracking not pay. */
    static final long TRACK_NANOS_PER_PAGE = 4_000;

    /** The switch for comparisons: false gives every instance a plain {@link ResettableMemory}. */
    static final String TRACK_PROPERTY = "vivarium.trackWrites";

    private static final boolean TRACKING_ALLOWED =
            !"false".equals(System.getProperty(TRACK_PROPERTY));

    /** Requests at most this long (the shortest of a window) keep writes tracked; 0: never. */
    private final long trackBelowNanos;

    /** Whether instances built now get a {@link TrackedMemory}. */
    private volatile boolean trackWrites;

    // the current window: updated without synchronization, a heuristic that tolerates lost updates
    private int windowCount;
    private long windowMin = Long.MAX_VALUE;

    private final LongAdder created = new LongAdder();
    private final LongAdder reused = new LongAdder();
    private final LongAdder discarded = new LongAdder();
    private final AtomicInteger inUse = new AtomicInteger();
    private volatile boolean closed;

    /** What {@link #trimIfIdle} saw last: instances taken so far, and since when. */
    private long trimUses = -1;

    private long trimSince;

    public InstancePool(GuestModule guest, int maxIdle, MemoryBudget budget) {
        this.guest = guest;
        this.maxIdle = guest.resettable() ? maxIdle : 0;
        this.budget = budget;
        MemoryLimits limits = guest.memoryLimits();
        this.trackBelowNanos =
                TRACKING_ALLOWED && this.maxIdle > 0 && limits != null
                        ? limits.initialPages() * TRACK_NANOS_PER_PAGE
                        : 0;
        this.trackWrites = trackBelowNanos > 0;
        if (!guest.resettable()) {
            LOG.info("{}: a new instance per request: {}", guest.name(), guest.resetBlocker());
        }
        budget.add(this);
    }

    public GuestModule guest() {
        return guest;
    }

    /** Builds up to {@code count} idle instances now, so the first requests do not pay for it. */
    public void warm(int count) {
        int n = Math.min(count, maxIdle);
        while (idleCount.get() < n && reserveIdleSlot()) {
            PooledInstance p;
            try {
                p = create(false);
            } catch (NoMemoryException e) {
                idleCount.decrementAndGet();
                LOG.info(
                        "{}: warmed {} instances, not {}: {}",
                        guest.name(),
                        idle(),
                        n,
                        e.getMessage());
                return;
            } catch (RuntimeException | Error e) {
                idleCount.decrementAndGet();
                throw e;
            }
            idle.push(p);
        }
    }

    /**
     * Builds one instance and drops it, so that a module that cannot be instantiated (a data
     * segment past its memory) is refused now, while the pool stays empty: an uploaded deployment
     * holds no instance until a request comes. Does nothing for a module whose instances are not
     * reused (building one runs its start function, guest code, which only runs under a request's
     * deadline), nor when there is no memory for one now.
     */
    public void checkInstantiates() {
        if (maxIdle == 0) {
            return;
        }
        try {
            PooledInstance p = create(false);
            created.decrement(); // a check, not an instance that served: neither counted
            p.discard();
        } catch (NoMemoryException e) {
            LOG.info("{}: not instantiated to check it: {}", guest.name(), e.getMessage());
        }
    }

    /**
     * An idle instance, else a new one.
     *
     * @throws NoMemoryException if a new one's memory does not fit in the budget
     */
    PooledInstance acquire() {
        PooledInstance p = idle.pop();
        if (p != null) {
            idleCount.decrementAndGet();
            reused.increment();
        } else {
            p = create(true);
        }
        inUse.incrementAndGet();
        return p;
    }

    /**
     * Drops one idle instance, giving its memory back to the budget.
     *
     * @return false if there was none
     */
    boolean dropIdleInstance() {
        PooledInstance p = idle.pop();
        if (p == null) {
            return false;
        }
        idleCount.decrementAndGet();
        discard(p);
        return true;
    }

    /**
     * Returns an instance after a request.
     *
     * @param clean the run ended normally (no trap, no interrupt, no host failure)
     */
    void release(PooledInstance p, boolean clean) {
        release(p, clean, -1);
    }

    /**
     * Returns an instance after a request that took {@code runNanos} (from taking the instance, or
     * a little before, to the end of its run; negative if unknown).
     *
     * @param clean the run ended normally (no trap, no interrupt, no host failure)
     */
    void release(PooledInstance p, boolean clean, long runNanos) {
        inUse.decrementAndGet();
        if (runNanos >= 0 && trackBelowNanos > 0) {
            judge(runNanos);
        }
        if (!clean
                || maxIdle == 0
                || closed
                || p.tracksWrites() != trackWrites
                || !reserveIdleSlot()) {
            discard(p);
            return;
        }
        try {
            p.reset();
        } catch (RuntimeException | Error e) {
            idleCount.decrementAndGet();
            discard(p);
            if (e instanceof Error error) {
                throw error;
            }
            LOG.warn("{}: reset failed, discarding the instance: {}", guest.name(), e.toString());
            return;
        }
        idle.push(p);
        if (closed) {
            // close() ran while this one was being reset: it saw no instance to drop
            while (dropIdleInstance()) {}
        }
    }

    /**
     * Counts a request into the current window; at its end, turns write tracking off when even its
     * shortest request was long, on again when one was short (with a margin, so a pool does not
     * switch back and forth), and drops the idle instances of the other kind.
     */
    private void judge(long runNanos) {
        if (runNanos < windowMin) {
            windowMin = runNanos;
        }
        if (++windowCount < WINDOW) {
            return;
        }
        long shortest = windowMin;
        windowCount = 0;
        windowMin = Long.MAX_VALUE;
        boolean track = trackWrites ? shortest <= trackBelowNanos : shortest <= trackBelowNanos / 2;
        if (track != trackWrites) {
            trackWrites(track);
            LOG.debug(
                    "{}: shortest of {} requests {} us: {} writes",
                    guest.name(),
                    WINDOW,
                    shortest / 1000,
                    track ? "tracking" : "no longer tracking");
        }
    }

    /** Whether instances built now track their writes; for tests. */
    boolean tracksWrites() {
        return trackWrites;
    }

    /**
     * Makes instances built from now on track their writes or not, and drops the idle ones (those
     * in use are not reused once released); {@link #judge} decides it, tests set it.
     */
    void trackWrites(boolean track) {
        trackWrites = track;
        while (dropIdleInstance()) {}
    }

    private void discard(PooledInstance p) {
        p.discard();
        discarded.increment();
    }

    /** Counts an instance as idle before it is reset, so concurrent releases stay bounded. */
    private boolean reserveIdleSlot() {
        int n;
        do {
            n = idleCount.get();
            if (n >= maxIdle) {
                return false;
            }
        } while (!idleCount.compareAndSet(n, n + 1));
        return true;
    }

    /**
     * @param evict whether idle instances (of any guest) may be dropped to make room for its memory
     */
    private PooledInstance create(boolean evict) {
        // tables and globals first: they are allocated before the memory when Chicory builds it
        long overhead = guest.instanceOverhead();
        if (!(evict ? budget.reserve(overhead) : budget.tryReserve(overhead))) {
            throw new NoMemoryException(
                    "no memory for a new instance's tables and globals ("
                            + MemoryBudget.describe(overhead)
                            + "): "
                            + budget.state());
        }
        Hostcalls.Slot slot = new Hostcalls.Slot();
        Instance.Builder b =
                Instance.builder(guest.module())
                        .withImportValues(Hostcalls.importsFor(guest.module(), slot))
                        .withMachineFactory(guest.machineFactory())
                        .withStart(false);
        ResettableMemory[] memory = new ResettableMemory[1];
        if (guest.memoryLimits() != null) {
            b.withMemoryLimits(guest.memoryLimits())
                    .withMemoryFactory(
                            limits ->
                                    memory[0] =
                                            trackWrites
                                                    ? new TrackedMemory(limits, budget, evict)
                                                    : new ResettableMemory(limits, budget, evict));
        }
        PooledInstance p;
        try {
            p = new PooledInstance(b.build(), slot, guest, budget);
        } catch (RuntimeException | Error e) {
            // e.g. the start function trapped: the memory was reserved but nothing holds it
            budget.release(overhead);
            if (memory[0] != null) {
                memory[0].noteRefusal(e);
                memory[0].release();
            }
            throw e;
        }
        created.increment();
        return p;
    }

    /**
     * Drops every idle instance when no request took one for {@code idleNanos}, so that a
     * deployment nobody calls holds no instance (the next request builds one). Called periodically
     * ({@code poolIdleTimeout}); it reads the pool's counters, so requests pay nothing for it.
     *
     * @param now {@link System#nanoTime()} now
     * @return how many instances it dropped
     */
    public synchronized int trimIfIdle(long now, long idleNanos) {
        long uses = created.sum() + reused.sum();
        if (uses != trimUses) {
            trimUses = uses;
            trimSince = now;
            return 0;
        }
        if (now - trimSince < idleNanos) {
            return 0;
        }
        int dropped = 0;
        while (dropIdleInstance()) {
            dropped++;
        }
        return dropped;
    }

    /** Drops idle instances; instances in use are discarded when released. */
    public void close() {
        closed = true;
        while (dropIdleInstance()) {}
        budget.remove(this);
    }

    public int idle() {
        return idleCount.get();
    }

    /**
     * The memory its idle instances hold, in bytes: reset instances have their initial pages, and
     * their tables and globals.
     */
    public long idleMemory() {
        MemoryLimits limits = guest.memoryLimits();
        long pages = limits == null ? 0 : limits.initialPages();
        return idle() * (pages * Memory.PAGE_SIZE + guest.instanceOverhead());
    }

    public int inUse() {
        return inUse.get();
    }

    public int maxIdle() {
        return maxIdle;
    }

    public long created() {
        return created.sum();
    }

    public long reused() {
        return reused.sum();
    }

    public long discarded() {
        return discarded.sum();
    }

    @Override
    public String toString() {
        return String.format(
                "InstancePool[%s idle=%d/%d inUse=%d created=%d reused=%d discarded=%d%s]",
                guest.name(),
                idle(),
                maxIdle,
                inUse(),
                created(),
                reused(),
                discarded(),
                guest.resettable() ? "" : " no-reset: " + guest.resetBlocker());
    }

    /**
     * The idle instances, last in first out: the one released last has the warmest caches. An array
     * under a lock, which allocates nothing per request (a concurrent deque allocates a node for
     * every release); held only to push or pop one reference.
     */
    private static final class IdleStack {
        private static final PooledInstance[] EMPTY = new PooledInstance[0];
        private PooledInstance[] items = EMPTY;
        private int size;

        synchronized void push(PooledInstance p) {
            if (size == items.length) {
                items = java.util.Arrays.copyOf(items, Math.max(2, 2 * size));
            }
            items[size++] = p;
        }

        synchronized PooledInstance pop() {
            if (size == 0) {
                return null;
            }
            PooledInstance p = items[--size];
            items[size] = null;
            return p;
        }
    }
}
