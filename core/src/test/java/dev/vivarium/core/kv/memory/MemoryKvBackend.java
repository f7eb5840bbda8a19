package dev.vivarium.core.kv.memory;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvBackend;
import dev.vivarium.core.kv.KvBackendContext;
import dev.vivarium.core.kv.KvBackendProvider;
import dev.vivarium.core.kv.KvBackendStore;
import dev.vivarium.core.kv.KvHealth;
import dev.vivarium.core.kv.KvLimits;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.kv.StoreClosed;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A test-only backend, {@code kv.backend=memory}, that stands in for a shared remote one: its data
 * lives in a named {@link Space} of this JVM ({@code kv.memory.space}), which outlives the engines
 * that use it, so several engines on one space behave like several nodes on one database, and a
 * reopen finds the data again. A space can be taken down ({@link Space#reachable(boolean)}) to see
 * what an unreachable database does.
 *
 * <p>It is also the proof that a backend plugs in from outside core: it lives in its own package,
 * uses only the public SPI, and is found through {@code META-INF/services} of core's test classes.
 * Every operation holds the space's lock, which makes it atomic across engines (a database would
 * use {@code INSERT ... ON CONFLICT} instead).
 */
public final class MemoryKvBackend implements KvBackend {
    public static final String NAME = "memory";

    /** The backend's own setting: which space to use. */
    public static final String SPACE = "kv.memory.space";

    private static final Map<String, Space> SPACES = new ConcurrentHashMap<>();

    private final Space space;
    private final KvLimits limits;

    private MemoryKvBackend(Space space, KvLimits limits) {
        this.space = space;
        this.limits = limits;
    }

    /** The space named {@code name}, created empty on first use. */
    public static Space space(String name) {
        return SPACES.computeIfAbsent(name, n -> new Space());
    }

    /** Found through {@code META-INF/services/dev.vivarium.core.kv.KvBackendProvider}. */
    public static final class Provider implements KvBackendProvider {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public List<String> settings() {
            return List.of(SPACE);
        }

        @Override
        public KvBackend open(KvBackendContext context) {
            String name = context.options().backendSettings().get(SPACE);
            if (name == null) {
                throw new ConfigurationException(
                        "Vivarium setting '" + SPACE + "' is required with kv.backend=" + NAME);
            }
            return new MemoryKvBackend(space(name), context.options().limits());
        }
    }

    /** The shared data: every store of every engine that uses this space. */
    public static final class Space {
        private final Map<String, Data> stores = new HashMap<>();
        private volatile boolean reachable = true;

        /** Takes the space down (every operation fails) or brings it back. */
        public void reachable(boolean reachable) {
            this.reachable = reachable;
        }

        /** Fails as a remote backend does when it cannot be reached. */
        void check() {
            if (!reachable) {
                throw new KvUnavailableException(
                        "the KV backend 'memory' cannot be reached",
                        new IOException("connection refused"));
            }
        }
    }

    private static final class Data {
        final Map<String, Entry> values = new HashMap<>();
        long lifetimeEnd;
        long bytes;
    }

    private record Entry(byte[] value, long expiresAt) {
        boolean expiredAt(long now) {
            return expiresAt != 0 && expiresAt <= now;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public KvBackendStore open(String deploymentId) {
        synchronized (space) {
            space.check();
            space.stores.computeIfAbsent(deploymentId, id -> new Data());
        }
        return new Store(deploymentId);
    }

    @Override
    public boolean exists(String deploymentId) {
        synchronized (space) {
            space.check();
            return space.stores.containsKey(deploymentId);
        }
    }

    @Override
    public List<String> list() {
        synchronized (space) {
            space.check();
            return List.copyOf(space.stores.keySet());
        }
    }

    @Override
    public void delete(String deploymentId) {
        synchronized (space) {
            space.check();
            space.stores.remove(deploymentId);
        }
    }

    @Override
    public long lifetimeEnd(String deploymentId) {
        synchronized (space) {
            space.check();
            Data d = space.stores.get(deploymentId);
            return d == null ? 0 : d.lifetimeEnd;
        }
    }

    @Override
    public void lifetimeEnd(String deploymentId, long epochMillis) {
        synchronized (space) {
            space.check();
            space.stores.computeIfAbsent(deploymentId, id -> new Data()).lifetimeEnd = epochMillis;
        }
    }

    @Override
    public KvHealth health() {
        return space.reachable ? KvHealth.up("memory space") : KvHealth.down("space is down");
    }

    @Override
    public void close() {}

    /** One deployment's store: every operation finds its rows in the space by id, as SQL would. */
    private final class Store implements KvBackendStore {
        private final String id;
        private final LongAdder commits = new LongAdder();
        private final LongAdder purged = new LongAdder();
        private volatile StoreClosed closed;

        Store(String id) {
            this.id = id;
        }

        /** The store's data to write, under the space's lock; deleted elsewhere: starts again. */
        private Data data() {
            check();
            return space.stores.computeIfAbsent(id, k -> new Data());
        }

        /** The store's data to read, or empty data if another engine deleted the store. */
        private Data peek() {
            check();
            Data d = space.stores.get(id);
            return d != null ? d : new Data();
        }

        private void check() {
            StoreClosed c = closed;
            if (c != null) {
                throw KvUnavailableException.closed(id, c);
            }
            space.check();
        }

        private static long size(String key, Entry e) {
            return e == null ? 0 : KvLimits.keyBytes(key) + e.value.length;
        }

        /** Replaces the key's entry ({@code next} null: removes it), checking the store limit. */
        private void write(Data d, String key, Entry old, Entry next, long now) {
            long after = d.bytes - size(key, old) + size(key, next);
            if (next != null && after > limits.maxStoreSize() && purge(d, now) > 0) {
                old = d.values.get(key);
                after = d.bytes - size(key, old) + size(key, next);
            }
            if (next != null) {
                limits.checkStore(id, after);
                d.values.put(key, next);
            } else {
                d.values.remove(key);
            }
            d.bytes = after;
            commits.increment();
        }

        private int purge(Data d, long now) {
            int n = 0;
            for (Iterator<Map.Entry<String, Entry>> it = d.values.entrySet().iterator();
                    it.hasNext(); ) {
                Map.Entry<String, Entry> e = it.next();
                if (e.getValue().expiredAt(now)) {
                    d.bytes -= size(e.getKey(), e.getValue());
                    it.remove();
                    n++;
                }
            }
            purged.add(n);
            return n;
        }

        @Override
        public boolean put(
                String key, byte[] value, long expiresAt, boolean onlyIfAbsent, long now) {
            synchronized (space) {
                Data d = data();
                Entry old = d.values.get(key);
                boolean absent = old == null || old.expiredAt(now);
                if (onlyIfAbsent && !absent) {
                    return false;
                }
                limits.checkValue(value.length, false);
                write(d, key, old, new Entry(value.clone(), expiresAt), now);
                return absent;
            }
        }

        @Override
        public boolean append(String key, byte[] value, long now) {
            synchronized (space) {
                Data d = data();
                Entry old = d.values.get(key);
                boolean absent = old == null || old.expiredAt(now);
                byte[] next = value.clone();
                long expiresAt = 0;
                if (!absent) {
                    limits.checkValue((long) old.value.length + value.length, true);
                    next = new byte[old.value.length + value.length];
                    System.arraycopy(old.value, 0, next, 0, old.value.length);
                    System.arraycopy(value, 0, next, old.value.length, value.length);
                    expiresAt = old.expiresAt;
                } else {
                    limits.checkValue(value.length, false);
                }
                write(d, key, old, new Entry(next, expiresAt), now);
                return absent;
            }
        }

        @Override
        public byte[] get(String key, long now) {
            synchronized (space) {
                Entry e = peek().values.get(key);
                return e == null || e.expiredAt(now) ? null : e.value.clone();
            }
        }

        @Override
        public boolean remove(String key, long now) {
            synchronized (space) {
                Data d = data();
                Entry old = d.values.get(key);
                if (old == null) {
                    return false;
                }
                write(d, key, old, null, now);
                return !old.expiredAt(now);
            }
        }

        @Override
        public int purgeExpired(long now) {
            synchronized (space) {
                return purge(data(), now);
            }
        }

        @Override
        public void clear() {
            synchronized (space) {
                Data d = data();
                d.values.clear();
                d.bytes = 0;
            }
        }

        @Override
        public List<String> keys(int limit, long now) {
            synchronized (space) {
                List<String> out = new ArrayList<>();
                for (Map.Entry<String, Entry> e : peek().values.entrySet()) {
                    if (out.size() < limit && !e.getValue().expiredAt(now)) {
                        out.add(e.getKey());
                    }
                }
                return out;
            }
        }

        @Override
        public long keyCount() {
            synchronized (space) {
                Data d = space.stores.get(id);
                return d == null ? 0 : d.values.size();
            }
        }

        @Override
        public long byteCount() {
            synchronized (space) {
                Data d = space.stores.get(id);
                return d == null ? 0 : d.bytes;
            }
        }

        @Override
        public long commitCount() {
            return commits.sum();
        }

        @Override
        public long purgedCount() {
            return purged.sum();
        }

        @Override
        public boolean failed() {
            return false;
        }

        @Override
        public void close(StoreClosed reason) {
            synchronized (space) {
                if (closed == null) {
                    closed = Objects.requireNonNull(reason, "reason");
                }
            }
        }

        @Override
        public StoreClosed closedReason() {
            return closed;
        }
    }
}
