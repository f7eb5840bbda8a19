package dev.vivarium.core.engine;

import dev.vivarium.core.resources.HostBuffers;
import dev.vivarium.core.resources.NoMemoryException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the memory one engine holds for guests (setting {@code maxTotalMemory}): the linear memory
 * of all instances, idle ones included, what each holds beyond it (tables, globals, per-function
 * data: {@link GuestModule#instanceOverhead()}), and the request and response bodies of running
 * requests ({@link HostBuffers}).
 *
 * <p>{@code maxMemoryPages} bounds one instance, but instances are built on demand, one per
 * concurrent request: without this, 200 concurrent requests to a guest that grows to 16 MiB would
 * hold 3.2 GB of the server's heap. Memory is reserved before it is allocated, when an instance is
 * built (its initial pages) and when the guest grows it; it is given back when a reset shrinks the
 * memory and when an instance is dropped. When a reservation does not fit, idle instances of any
 * guest are dropped first, one at a time; if that is not enough, it is refused: a {@code
 * memory.grow} fails inside the guest (returns -1, as past {@code maxMemoryPages}), and a request
 * that needs a new instance is answered 503 ({@link NoMemoryException}). The limit is like
 * wasmtime's {@code ResourceLimiter}: it makes growth fail, it does not wait for memory to come
 * free.
 *
 * <p>Bodies are counted while their request runs and until its response is written: a request whose
 * body does not fit, or a guest whose response body or outbound request body does not, gets 503; an
 * outbound response that does not fit fails that call for the guest. Not counted: the JVM objects
 * of an instance beyond those (its compiled code is shared per module) and the container's own
 * buffers. Each engine has its own budget: two webapps with the filter in one JVM have two.
 * Thread-safe.
 */
public final class MemoryBudget implements HostBuffers {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBudget.class);

    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final Set<InstancePool> pools = ConcurrentHashMap.newKeySet();

    /**
     * @param limit bytes that all instances may hold together
     */
    public MemoryBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("memory budget must be positive: " + limit);
        }
        this.limit = limit;
        long heap = Runtime.getRuntime().maxMemory();
        if (limit > heap) {
            LOG.warn(
                    "maxTotalMemory ({}) is more than the JVM's maximum heap ({}): guests can use up"
                            + " the heap before the limit stops them",
                    describe(limit),
                    describe(heap));
        }
    }

    /** The bytes all instances may hold together. */
    public long limit() {
        return limit;
    }

    /** The bytes reserved now: instances in use and idle ones, and running requests' bodies. */
    public long used() {
        return used.get();
    }

    /** A pool whose idle instances may be dropped when memory is short. */
    void add(InstancePool pool) {
        pools.add(pool);
    }

    void remove(InstancePool pool) {
        pools.remove(pool);
    }

    /**
     * Reserves {@code bytes}, dropping idle instances of any pool, one at a time, if that is what
     * it takes; none is dropped when dropping them all would not be enough.
     *
     * @return false if it does not fit even without idle instances
     */
    boolean reserve(long bytes) {
        if (tryReserve(bytes)) {
            return true;
        }
        if (!couldHold(bytes)) {
            // even without any idle instance it would not fit: keep them warm
            return false;
        }
        for (InstancePool pool : pools) {
            while (pool.dropIdleInstance()) {
                if (tryReserve(bytes)) {
                    return true;
                }
            }
        }
        return tryReserve(bytes);
    }

    /** Reserves {@code bytes} only if they fit as things are (warming a pool evicts nothing). */
    boolean tryReserve(long bytes) {
        long n;
        do {
            n = used.get();
            if (bytes > limit - n) {
                return false;
            }
        } while (!used.compareAndSet(n, n + bytes));
        return true;
    }

    @Override
    public void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** Counts a request's body, dropping idle instances if it takes that. */
    @Override
    public void hold(long bytes, String what) {
        if (!reserve(bytes)) {
            throw new NoMemoryException(
                    "no memory for the " + what + " (" + describe(bytes) + "): " + state());
        }
    }

    @Override
    public boolean couldHold(long bytes) {
        long idle = pools.stream().mapToLong(InstancePool::idleMemory).sum();
        return bytes <= limit - used.get() + idle;
    }

    @Override
    public boolean tryHold(long bytes) {
        return reserve(bytes);
    }

    @Override
    public String state() {
        return holding(used(), limit);
    }

    /** "guests hold 1.4 MiB of maxTotalMemory (2 MiB)", for messages. */
    static String holding(long used, long limit) {
        return "guests hold " + describe(used) + " of maxTotalMemory (" + describe(limit) + ")";
    }

    /** "1.5 MiB"-style, for messages. */
    static String describe(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= 1L << 20) {
            return bytes % (1L << 20) == 0
                    ? (bytes >> 20) + " MiB"
                    : String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
        }
        return bytes < 1024 ? bytes + " bytes" : (bytes >> 10) + " KiB";
    }

    @Override
    public String toString() {
        return "MemoryBudget["
                + describe(used())
                + " of "
                + describe(limit)
                + ", "
                + pools.size()
                + " pools]";
    }
}
