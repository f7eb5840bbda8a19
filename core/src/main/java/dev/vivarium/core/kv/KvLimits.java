package dev.vivarium.core.kv;

/**
 * The size limits every backend keeps ({@code kv.maxKeySize}, {@code kv.maxValueSize}, {@code
 * kv.maxStoreSize}), with the checks that throw the one {@link KvLimitException} message each limit
 * has, whatever the backend.
 *
 * <p>{@link KvStores} refuses a key over {@code kv.maxKeySize} and an {@code insert} value over
 * {@code kv.maxValueSize} before a backend sees them. What only the backend can decide atomically
 * with the write is the backend's to check, with these methods: an {@code upsert} value over the
 * limit when the key is absent (a present key is left as it is, whatever the size), the size an
 * {@code append} grows a value to, and the store's total after the write.
 *
 * @param maxKeySize longest key, in UTF-8 bytes
 * @param maxValueSize longest value, also after an append
 * @param maxStoreSize total bytes of the keys (UTF-8) and values of one deployment's store
 */
public record KvLimits(int maxKeySize, int maxValueSize, long maxStoreSize) {

    /** Refuses a value of {@code length} bytes (the result, for an append). */
    public void checkValue(long length, boolean appending) {
        if (length > maxValueSize) {
            throw KvLimitException.value(length, appending, maxValueSize);
        }
    }

    /** Refuses a write that would leave the store of {@code deployment} holding {@code bytes}. */
    public void checkStore(String deployment, long bytes) {
        if (bytes > maxStoreSize) {
            throw KvLimitException.store(deployment, bytes, maxStoreSize);
        }
    }

    /** Refuses a key of {@code keyBytes} UTF-8 bytes. */
    public void checkKey(int keyBytes) {
        if (keyBytes > maxKeySize) {
            throw KvLimitException.key(keyBytes, maxKeySize);
        }
    }

    /**
     * The UTF-8 size of a key, as the limits count it, without encoding it; an unpaired surrogate
     * counts as the 3 bytes it would take.
     */
    public static int keyBytes(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes += 1;
                } else if (Character.isHighSurrogate(c)
                        && i + 1 < n
                        && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 2;
                    i++;
                } else {
                    bytes += 2;
                }
            }
        }
        return bytes;
    }
}
