package dev.vivarium.core.outbound;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of response bodies one guest request may still receive ({@code
 * outbound.maxTotalResponseSize}), shared by all its requests: the responses arrive on client
 * threads, several at once with {@code send_async}.
 */
final class ResponseBudget {
    private final long max;
    private final AtomicLong used = new AtomicLong();

    ResponseBudget(long max) {
        this.max = max;
    }

    /** Counts {@code bytes} against the budget; false once the total exceeds it. */
    boolean take(long bytes) {
        return used.addAndGet(bytes) <= max;
    }

    /** Bytes still allowed. */
    long remaining() {
        return Math.max(0, max - used.get());
    }

    OutboundFailure exceeded() {
        return new OutboundFailure(
                "the responses of this guest request together exceed"
                        + " outbound.maxTotalResponseSize ("
                        + max
                        + " bytes)");
    }
}
