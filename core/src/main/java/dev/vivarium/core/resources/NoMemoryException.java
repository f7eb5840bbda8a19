package dev.vivarium.core.resources;

/**
 * The server has no memory for what a request needs: a new instance, or a body the host would hold
 * ({@link HostBuffers#hold}). Not the guest's fault: the dispatcher answers it 503. Thrown by the
 * engine's memory accounting; the ABI layer only names the hostcall it happened in.
 *
 * <p>It lives here, beside {@link HostBuffers}, because every layer that holds bodies (the ABI
 * context, the outbound session) and the engine that accounts for them must both see it.
 */
public final class NoMemoryException extends RuntimeException {
    public NoMemoryException(String message) {
        super(message, null, false, false);
    }

    /** The same refusal, its message prefixed with where it happened (a hostcall's name). */
    public NoMemoryException in(String where) {
        if (getMessage().startsWith(where)) {
            return this;
        }
        return new NoMemoryException(where + ": " + getMessage());
    }
}
