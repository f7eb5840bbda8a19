package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.vivarium.core.abi.Hostcalls;
import dev.vivarium.core.resources.NoMemoryException;
import java.util.concurrent.ConcurrentLinkedDeque;
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
    private final ConcurrentLinkedDeque<PooledInstance> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();
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
            idle.offerFirst(p);
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
        PooledInstance p = idle.pollFirst();
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
        PooledInstance p = idle.pollFirst();
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
        inUse.decrementAndGet();
        if (!clean || maxIdle == 0 || closed || !reserveIdleSlot()) {
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
        idle.offerFirst(p);
        if (closed) {
            // close() ran while this one was being reset: it saw no instance to drop
            while (dropIdleInstance()) {}
        }
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
                            limits -> memory[0] = new ResettableMemory(limits, budget, evict));
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
}
