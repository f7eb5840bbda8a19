package dev.vivarium.core.abi;

/**
 * Accounts for the bodies the host holds for a running request (its request body, the response body
 * copied out of the guest), so they count against the same limit as guest memory (the engine's
 * {@code maxTotalMemory}).
 */
public interface HostBuffers {
    /**
     * Counts {@code bytes} as held.
     *
     * @param what what they are for, for the message ("request body")
     * @throws HostcallTrap of kind {@code OVERLOADED} if they do not fit
     */
    void hold(long bytes, String what);

    /** Gives back bytes {@link #hold} counted. */
    void release(long bytes);
}
