package dev.vivarium.core.kv;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Operation counts of one open store, by operation and result, read by its meters and by {@link
 * KvStores#stats}.
 */
final class StoreCounters {
    /** The store's operations; {@code insert} counts inserts with and without a time to live. */
    enum Op {
        GET,
        INSERT,
        UPSERT,
        APPEND,
        REMOVE;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What an operation found: {@code hit} the key was there (a get found a value, a remove removed
     * it, a write found it present), {@code miss} it was not (absent or expired), {@code error} it
     * failed (a limit refused it, or the store was unavailable).
     */
    enum Result {
        HIT,
        MISS,
        ERROR;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final LongAdder[][] counts = new LongAdder[Op.values().length][Result.values().length];

    StoreCounters() {
        for (LongAdder[] row : counts) {
            for (int i = 0; i < row.length; i++) {
                row[i] = new LongAdder();
            }
        }
    }

    LongAdder of(Op op, Result result) {
        return counts[op.ordinal()][result.ordinal()];
    }

    void count(Op op, Result result) {
        of(op, result).increment();
    }

    /** Every call of {@code op}, whatever its result. */
    long total(Op op) {
        long sum = 0;
        for (LongAdder a : counts[op.ordinal()]) {
            sum += a.sum();
        }
        return sum;
    }
}
