package dev.vivarium.core.kv;

import java.util.ArrayList;
import java.util.List;

/**
 * The KV writes of one request that are applied but not yet known to be on disk, so that the
 * request can wait for them after its guest has run instead of during it (deferred
 * acknowledgement).
 *
 * <p>Why: a durable write waits for a commit (a few fsyncs, milliseconds). Waiting inside the guest
 * holds the request's instance and its admission slot ({@code maxConcurrent}, the CPUs by default)
 * for that time, so at most that many writes of a deployment could ever share one commit. With this
 * scope, a write returns to the guest once it is applied; the engine releases the instance and the
 * slot, then waits until a commit covers every write of the request, and only then answers. The
 * client sees a success only for writes that are on disk; a commit that fails turns the answer into
 * a 503, as a failed write inside the guest did. Before the guest does something another party can
 * see (an outbound request), its writes so far are waited for, in the guest, so no one learns of a
 * write that may still be lost. Other requests may read a write before it is on disk, as they
 * already could while its commit ran.
 *
 * <p>A backend that does not support this (or a thread without a scope) waits in the write as
 * before. A scope is used by one request thread at a time.
 */
public final class PendingWrites {
    private static final ThreadLocal<PendingWrites> CURRENT = new ThreadLocal<>();

    /** A store that can wait for one of its writes after the write returned. */
    public interface Store {
        /**
         * Returns once write {@code seq} of this store is on disk.
         *
         * @throws KvUnavailableException if its commit failed, the store was closed before it was
         *     committed, or {@code deadlineNanos} (of {@link System#nanoTime()}) passed first
         */
        void awaitDurable(long seq, long deadlineNanos);
    }

    // allocated on the first write: most requests write nothing
    private List<Store> stores;
    private List<long[]> seqs;
    private long deadlineNanos;
    private boolean entered;

    /** The scope the calling thread is in, or null: then writes wait for their commit. */
    public static PendingWrites current() {
        return CURRENT.get();
    }

    /**
     * Makes this the calling thread's scope until {@link #exit()}: writes on this thread from now
     * on are recorded here instead of waited for.
     */
    public void enter(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
        entered = true;
        CURRENT.set(this);
    }

    /** Ends the calling thread's scope; later writes on it wait for their commit again. */
    public void exit() {
        entered = false;
        // set, not remove: the thread's map keeps its entry for the next request
        CURRENT.set(null);
    }

    /** Records write {@code seq} of {@code store}, to be waited for later. */
    public void add(Store store, long seq) {
        if (stores == null) {
            stores = new ArrayList<>(1);
            seqs = new ArrayList<>(1);
        }
        for (int i = 0; i < stores.size(); i++) {
            if (stores.get(i) == store) {
                long[] s = seqs.get(i);
                s[0] = Math.max(s[0], seq);
                return;
            }
        }
        stores.add(store);
        seqs.add(new long[] {seq});
    }

    /** Whether a recorded write is still to be waited for. */
    public boolean isEmpty() {
        return stores == null || stores.isEmpty();
    }

    /**
     * Waits until every recorded write is on disk, then forgets them.
     *
     * @throws KvUnavailableException if one of them is not (see {@link Store#awaitDurable})
     */
    public void awaitDurable() {
        if (stores == null) {
            return;
        }
        try {
            for (int i = 0; i < stores.size(); i++) {
                stores.get(i).awaitDurable(seqs.get(i)[0], deadlineNanos);
            }
        } finally {
            stores.clear();
            seqs.clear();
        }
    }

    /**
     * Waits for the calling thread's recorded writes, if it is in a scope: before the guest does
     * something another party sees (an outbound request).
     */
    public static void awaitCurrent() {
        PendingWrites p = CURRENT.get();
        if (p != null && p.entered && !p.isEmpty()) {
            p.awaitDurable();
        }
    }
}
