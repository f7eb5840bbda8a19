package dev.vivarium.core.resources;

/**
 * Accounts for the bodies the host holds for a running request (its request body, the response body
 * copied out of the guest, its outbound requests' bodies and their responses), so they count
 * against the same limit as guest memory (the engine's {@code maxTotalMemory}).
 */
public interface HostBuffers {
    /**
     * Counts {@code bytes} as held.
     *
     * @param what what they are for, for the message ("request body")
     * @throws NoMemoryException if they do not fit, which fails the request with 503
     */
    void hold(long bytes, String what);

    /**
     * Counts {@code bytes} as held if they fit; for threads that cannot fail the request (an
     * outbound response arriving on the HTTP client's thread).
     *
     * @return false if they do not fit (nothing counted)
     */
    boolean tryHold(long bytes);

    /**
     * Whether {@code bytes} could be held at all now, if every idle instance were dropped: false
     * means asking would only empty warm pools for nothing.
     */
    boolean couldHold(long bytes);

    /** Gives back bytes {@link #hold} or {@link #tryHold} counted. */
    void release(long bytes);

    /** What is held of how much, for messages: "guests hold 1.4 MiB of maxTotalMemory (2 MiB)". */
    String state();
}
