package dev.vivarium.core.outbound;

import dev.vivarium.core.abi.HostBuffers;

/**
 * The bytes of response bodies one guest request may still receive ({@code
 * outbound.maxTotalResponseSize}), shared by all its requests: the responses arrive on client
 * threads, several at once with {@code send_async}. What it takes is also held in the engine's
 * {@link HostBuffers} ({@code maxTotalMemory}) until the guest request ends.
 */
final class ResponseBudget {
    private final long max;
    private final HostBuffers buffers;
    private long used;
    private long held;
    private boolean closed;

    /**
     * @param buffers the engine's memory limit, or null for none
     */
    ResponseBudget(long max, HostBuffers buffers) {
        this.max = max;
        this.buffers = buffers;
    }

    /**
     * Counts {@code bytes} of a response body as they arrive.
     *
     * @return null if they may be kept, else why not (the response is then aborted)
     */
    synchronized OutboundFailure take(long bytes) {
        if (closed) {
            return new OutboundFailure("aborted: the guest request ended");
        }
        used += bytes;
        if (used > max) {
            return exceeded();
        }
        if (buffers != null) {
            if (!buffers.tryHold(bytes)) {
                return new OutboundFailure("no memory for the response body: " + buffers.state());
            }
            held += bytes;
        }
        return null;
    }

    /** Bytes still allowed. */
    synchronized long remaining() {
        return Math.max(0, max - used);
    }

    OutboundFailure exceeded() {
        return new OutboundFailure(
                "the responses of this guest request together exceed"
                        + " outbound.maxTotalResponseSize ("
                        + max
                        + " bytes)");
    }

    /** Gives back what was held; later content is refused. The guest request has ended. */
    synchronized void close() {
        closed = true;
        if (buffers != null) {
            buffers.release(held);
        }
        held = 0;
    }
}
