package dev.vivarium.core.kv;

/**
 * A store {@link KvStores} has open: the backend's store object, the counts and meters of this
 * opening, and the store's lifetime end (epoch millis, 0 = none), kept here so that the expiry run
 * reads no backend for open stores.
 */
final class OpenStore {
    final String id;
    final KvBackendStore store;
    final StoreCounters counters = new StoreCounters();
    private volatile long lifetimeEnd;
    private StoreMeters meters;

    OpenStore(String id, KvBackendStore store, long lifetimeEnd) {
        this.id = id;
        this.store = store;
        this.lifetimeEnd = lifetimeEnd;
    }

    long lifetimeEnd() {
        return lifetimeEnd;
    }

    void lifetimeEnd(long epochMillis) {
        this.lifetimeEnd = epochMillis;
    }

    /** Whether it can serve: neither closed nor failed. */
    boolean usable() {
        return store.closedReason() == null && !store.failed();
    }

    void meters(StoreMeters meters) {
        this.meters = meters;
    }

    /** Removes the meters, then closes the backend's store object. */
    void close(StoreClosed reason) {
        if (meters != null) {
            meters.remove();
        }
        store.close(reason);
    }
}
