package dev.vivarium.core.kv;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/** All deployments' stores. STUB: owned by the KV work (MapDB files, expiry, limits, metrics). */
public final class KvStores implements AutoCloseable {
    private KvStores() {}

    public static KvStores open(KvOptions options, Clock clock, MeterRegistry registry) {
        return new KvStores();
    }

    /** The store of one deployment, created empty on first use. */
    public KvStore store(String deploymentId) {
        return null;
    }

    @Override
    public void close() {}
}
