package dev.vivarium.core.kv;

/**
 * A write that would break a configured KV limit ({@code kv.maxKeySize}, {@code kv.maxValueSize},
 * {@code kv.maxStoreSize}); nothing was written. The message names the limit and the sizes; the
 * hostcalls turn it into a limit trap.
 */
public final class KvLimitException extends RuntimeException {
    KvLimitException(String message) {
        super(message, null, false, false);
    }
}
