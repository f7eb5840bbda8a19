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

    static KvLimitException key(long bytes, long max) {
        return new KvLimitException(
                "KV key of " + bytes + " bytes exceeds kv.maxKeySize (" + max + " bytes)");
    }

    static KvLimitException value(long bytes, boolean appending, long max) {
        return new KvLimitException(
                (appending ? "KV value would grow to " : "KV value of ")
                        + bytes
                        + (appending ? " bytes by this append, over" : " bytes exceeds")
                        + " kv.maxValueSize ("
                        + max
                        + " bytes)");
    }

    static KvLimitException store(String deployment, long bytes, long max) {
        return new KvLimitException(
                "KV store of deployment '"
                        + deployment
                        + "' would hold "
                        + bytes
                        + " bytes, over kv.maxStoreSize ("
                        + max
                        + " bytes)");
    }
}
