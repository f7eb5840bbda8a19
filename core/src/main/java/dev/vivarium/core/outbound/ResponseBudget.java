package dev.vivarium.core.outbound;

import dev.vivarium.core.resources.HostBuffers;

/**
 * The bytes of response bodies one guest request may still receive ({@code
 * outbound.maxTotalResponseSize}), shared by all its requests: the responses arrive on client
 * threads, several at once with {@code send_async}. What a response keeps is also held in the
 * engine's {@link HostBuffers} ({@code maxTotalMemory}): until the guest request ends if it
 * completes, until it fails otherwise.
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

    /** The account of one response. */
    Share share() {
        return new Share();
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

    /** What one response has taken, so that it can be given back if the response fails. */
    final class Share {
        private long taken;

        /**
         * Checks a response's declared body length before any of it arrives.
         *
         * @return null if it may come, else why not (the response is then aborted)
         */
        OutboundFailure admit(long declared) {
            synchronized (ResponseBudget.this) {
                if (declared > max - used) {
                    return exceeded();
                }
                if (buffers != null && !buffers.couldHold(declared)) {
                    // refused before anything is dropped to make room that would not suffice
                    return new OutboundFailure(
                            "no memory for a response body of "
                                    + declared
                                    + " bytes: "
                                    + buffers.state());
                }
                return null;
            }
        }

        /**
         * Counts {@code bytes} of the response body as they arrive.
         *
         * @return null if they may be kept, else why not (the response is then aborted)
         */
        OutboundFailure take(long bytes) {
            synchronized (ResponseBudget.this) {
                if (closed) {
                    return new OutboundFailure("aborted: the guest request ended");
                }
                if (bytes > max - used) {
                    return exceeded();
                }
                if (buffers != null) {
                    if (!buffers.tryHold(bytes)) {
                        return new OutboundFailure(
                                "no memory for the response body: " + buffers.state());
                    }
                    held += bytes;
                    taken += bytes;
                }
                used += bytes;
                return null;
            }
        }

        /** The response failed: what it held is garbage now, and given back. */
        void failed() {
            synchronized (ResponseBudget.this) {
                if (!closed && buffers != null) {
                    buffers.release(taken);
                    held -= taken;
                }
                taken = 0;
            }
        }
    }
}
