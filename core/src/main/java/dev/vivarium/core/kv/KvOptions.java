package dev.vivarium.core.kv;

import dev.vivarium.core.config.Settings;
import dev.vivarium.core.config.VivariumSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code kv.*} settings of the key-value stores (declared, with their defaults, in {@link
 * VivariumSettings}; without {@code kv.directory} the engine's own default is {@code vivarium-kv}).
 * {@code kv.backend} picks where the stores live: {@code mapdb} (embedded files under {@code
 * kv.directory}, which is also the default parent of {@code deployments.directory}) or another
 * backend on the classpath (see {@link KvBackends}), whose own settings are its {@link
 * KvBackendProvider#settings()}.
 *
 * <p><b>Limits.</b> A write that would break {@code kv.maxKeySize}, {@code kv.maxValueSize} or
 * {@code kv.maxStoreSize} is refused before anything is written: the store keeps exactly what it
 * held, and the guest gets a trap naming the limit and the sizes (the client sees a 500). Expired
 * keys still count towards {@code kv.maxStoreSize} until purged; a write that would break the limit
 * purges the store's expired keys first and is refused only if that does not free enough. A get or
 * remove of a key longer than {@code kv.maxKeySize} finds nothing (no such key can exist). Sizes
 * accept {@code 512}, {@code 64KB}, {@code 8MB}, {@code 1GB} (1KB = 1024 bytes).
 */
public final class KvOptions {
    public static final long DEFAULT_MAX_KEY_SIZE =
            VivariumSettings.KV_MAX_KEY_SIZE.defaultParsed();
    public static final long DEFAULT_MAX_VALUE_SIZE =
            VivariumSettings.KV_MAX_VALUE_SIZE.defaultParsed();
    public static final long DEFAULT_MAX_STORE_SIZE =
            VivariumSettings.KV_MAX_STORE_SIZE.defaultParsed();
    public static final Duration DEFAULT_PURGE_INTERVAL =
            VivariumSettings.KV_PURGE_INTERVAL.defaultParsed();

    public static final Duration DEFAULT_SYNC_INTERVAL =
            VivariumSettings.KV_SYNC_INTERVAL.defaultParsed();

    /** Shortest and longest {@code kv.syncInterval}. */
    static final Duration MIN_SYNC_INTERVAL = Duration.ofMillis(1);

    static final Duration MAX_SYNC_INTERVAL = Duration.ofSeconds(1);

    /** {@code kv.durability}: when a write of the {@code mapdb} backend counts as done. */
    public enum Durability {
        /**
         * Once a commit has put it on disk (the default): a crash loses no acknowledged write.
         * Concurrent writers share commits, and a request waits for its writes after its guest has
         * run ({@link PendingWrites}).
         */
        SYNC,
        /**
         * Once applied: a background thread commits every {@code kv.syncInterval}. A crash loses at
         * most the writes acknowledged since the last commit that reached the disk, and never a
         * write older than {@code 2 × kv.syncInterval} at its acknowledgement relative to the
         * oldest write not on disk: past that age, writers wait for the disk as with {@link #SYNC}.
         * What survives is a prefix of each store's writes, nothing half-written.
         */
        INTERVAL
    }

    /** Values are Java arrays: nothing larger can be held. */
    static final long MAX_VALUE_LIMIT = VivariumSettings.MAX_KV_VALUE_LIMIT;

    private final String backend;
    private final Map<String, String> backendSettings;
    private final Path directory;
    private final int maxKeySize;
    private final int maxValueSize;
    private final long maxStoreSize;
    private final Duration purgeInterval;
    private final boolean groupCommit;
    private final Durability durability;
    private final Duration syncInterval;

    private KvOptions(Builder b) {
        this.backend = b.backend;
        this.backendSettings = Map.copyOf(b.backendSettings);
        this.directory = b.directory;
        this.maxKeySize = b.maxKeySize;
        this.maxValueSize = b.maxValueSize;
        this.maxStoreSize = b.maxStoreSize;
        this.purgeInterval = b.purgeInterval;
        this.groupCommit = b.groupCommit;
        this.durability = b.durability;
        this.syncInterval = b.syncInterval;
    }

    /**
     * Reads the {@code kv.*} settings; {@code defaultDirectory} when {@code kv.directory} is unset.
     *
     * <p>The backend's own settings (its {@link KvBackendProvider#settings()}) are read too.
     *
     * @throws dev.vivarium.core.config.ConfigurationException naming the bad setting; for an
     *     unknown {@code kv.backend}, listing the valid ones
     */
    public static KvOptions parse(Settings s, Path defaultDirectory) {
        Path dir = s.get(VivariumSettings.KV_DIRECTORY);
        Builder b = builder(dir != null ? dir : defaultDirectory);
        KvBackendProvider provider = KvBackends.provider(s.get(VivariumSettings.KV_BACKEND));
        b.backend(provider.name());
        for (String name : provider.settings()) {
            String v = s.declaredBy(provider.name() + " backend", name);
            if (v != null) {
                b.backendSetting(name, v);
            }
        }
        return b.maxKeySize(s.get(VivariumSettings.KV_MAX_KEY_SIZE))
                .maxValueSize(s.get(VivariumSettings.KV_MAX_VALUE_SIZE))
                .maxStoreSize(s.get(VivariumSettings.KV_MAX_STORE_SIZE))
                .purgeInterval(s.get(VivariumSettings.KV_PURGE_INTERVAL))
                .durability(s.get(VivariumSettings.KV_DURABILITY))
                .syncInterval(s.get(VivariumSettings.KV_SYNC_INTERVAL))
                .build();
    }

    /** The defaults, with stores under {@code directory}. */
    public static KvOptions defaults(Path directory) {
        return builder(directory).build();
    }

    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /** {@code kv.backend}: the name of the backend that holds the stores. */
    public String backend() {
        return backend;
    }

    /**
     * The backend's own settings that were given, by name (e.g. {@code kv.jdbc.url}); see {@link
     * KvBackendProvider#settings()}.
     */
    public Map<String, String> backendSettings() {
        return backendSettings;
    }

    /** The size limits, as backends check them. */
    public KvLimits limits() {
        return new KvLimits(maxKeySize, maxValueSize, maxStoreSize);
    }

    /**
     * {@code kv.directory}: where the {@code mapdb} backend keeps its stores, one sub-directory per
     * deployment, and the default parent of the uploads directory.
     */
    public Path directory() {
        return directory;
    }

    /** {@code kv.maxKeySize}: longest key in UTF-8 bytes. */
    public int maxKeySize() {
        return maxKeySize;
    }

    /** {@code kv.maxValueSize}: longest value in bytes, also after an append. */
    public int maxValueSize() {
        return maxValueSize;
    }

    /** {@code kv.maxStoreSize}: total bytes of keys and values of one deployment. */
    public long maxStoreSize() {
        return maxStoreSize;
    }

    /** {@code kv.purgeInterval}: period of the background expiry run. */
    public Duration purgeInterval() {
        return purgeInterval;
    }

    /**
     * Whether concurrent writers of one store share one commit (the default). Not a setting: the
     * benchmark turns it off to measure one commit per write.
     */
    public boolean groupCommit() {
        return groupCommit;
    }

    /** {@code kv.durability}: when a write of the {@code mapdb} backend counts as done. */
    public Durability durability() {
        return durability;
    }

    /** {@code kv.syncInterval}: with {@link Durability#INTERVAL}, the period of its commits. */
    public Duration syncInterval() {
        return syncInterval;
    }

    @Override
    public String toString() {
        return "KvOptions[backend="
                + backend
                + ", directory="
                + directory
                + ", maxKeySize="
                + maxKeySize
                + ", maxValueSize="
                + maxValueSize
                + ", maxStoreSize="
                + maxStoreSize
                + ", purgeInterval="
                + purgeInterval
                + ", groupCommit="
                + groupCommit
                + ", durability="
                + durability
                + ", syncInterval="
                + syncInterval
                + "]";
    }

    /** Builds options; every setter checks its value and names the setting when it is wrong. */
    public static final class Builder {
        private final Path directory;
        private String backend = KvBackends.DEFAULT;
        private final Map<String, String> backendSettings = new LinkedHashMap<>();
        private int maxKeySize = (int) DEFAULT_MAX_KEY_SIZE;
        private int maxValueSize = (int) DEFAULT_MAX_VALUE_SIZE;
        private long maxStoreSize = DEFAULT_MAX_STORE_SIZE;
        private Duration purgeInterval = DEFAULT_PURGE_INTERVAL;
        private boolean groupCommit = true;
        private Durability durability = Durability.SYNC;
        private Duration syncInterval = DEFAULT_SYNC_INTERVAL;

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /**
         * {@code kv.backend}; checked when the stores are opened ({@link KvStores#open}), which
         * fails listing the valid names.
         */
        public Builder backend(String name) {
            Objects.requireNonNull(name, "backend");
            if (name.isBlank()) {
                throw Settings.bad(
                        "kv.backend", name, "a backend name, e.g. " + KvBackends.DEFAULT);
            }
            this.backend = name.trim();
            return this;
        }

        /** One of the backend's own settings (see {@link KvBackendProvider#settings()}). */
        public Builder backendSetting(String name, String value) {
            backendSettings.put(
                    Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder maxKeySize(long bytes) {
            this.maxKeySize = positiveInt("kv.maxKeySize", bytes);
            return this;
        }

        public Builder maxValueSize(long bytes) {
            this.maxValueSize = positiveInt("kv.maxValueSize", bytes);
            return this;
        }

        public Builder maxStoreSize(long bytes) {
            if (bytes <= 0) {
                throw Settings.bad("kv.maxStoreSize", String.valueOf(bytes), "1 byte or more");
            }
            this.maxStoreSize = bytes;
            return this;
        }

        public Builder purgeInterval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw Settings.bad(
                        "kv.purgeInterval", String.valueOf(interval), "a positive duration");
            }
            this.purgeInterval = interval;
            return this;
        }

        /** See {@link KvOptions#groupCommit()}. */
        public Builder groupCommit(boolean groupCommit) {
            this.groupCommit = groupCommit;
            return this;
        }

        public Builder durability(Durability durability) {
            this.durability = Objects.requireNonNull(durability, "durability");
            return this;
        }

        /** {@code kv.durability} by its setting's value: {@code sync} or {@code interval}. */
        public Builder durability(String value) {
            Objects.requireNonNull(value, "kv.durability");
            return durability(
                    switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
                        case "sync" -> Durability.SYNC;
                        case "interval" -> Durability.INTERVAL;
                        default -> throw Settings.bad("kv.durability", value, "sync or interval");
                    });
        }

        public Builder syncInterval(Duration interval) {
            Objects.requireNonNull(interval, "kv.syncInterval");
            if (interval.compareTo(MIN_SYNC_INTERVAL) < 0
                    || interval.compareTo(MAX_SYNC_INTERVAL) > 0) {
                throw Settings.bad(
                        "kv.syncInterval", interval.toMillis() + "ms", "a duration from 1ms to 1s");
            }
            this.syncInterval = interval;
            return this;
        }

        public KvOptions build() {
            return new KvOptions(this);
        }

        private static int positiveInt(String name, long bytes) {
            if (bytes <= 0 || bytes > MAX_VALUE_LIMIT) {
                throw Settings.bad(
                        name,
                        String.valueOf(bytes),
                        "from 1 byte to " + MAX_VALUE_LIMIT + " bytes");
            }
            return (int) bytes;
        }
    }
}
