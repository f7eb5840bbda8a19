package dev.vivarium.core.kv;

/**
 * The store cannot serve the operation: it was deleted because its lifetime ended, the engine is
 * closing, or an I/O failure closed it. The message says which.
 */
public final class KvUnavailableException extends RuntimeException {
    private final boolean notApplied;

    KvUnavailableException(String message) {
        this(message, null, false);
    }

    KvUnavailableException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private KvUnavailableException(String message, Throwable cause, boolean notApplied) {
        super(message, cause);
        this.notApplied = notApplied;
    }

    /**
     * For an operation known to have had no effect on disk: a commit failed before one covered it,
     * so it may be tried again on the store opened again from its last commit.
     */
    static KvUnavailableException notApplied(String message, Throwable cause) {
        return new KvUnavailableException(message, cause, true);
    }

    /** Whether the operation is known to have had no effect on disk (see {@link #notApplied}). */
    boolean isNotApplied() {
        return notApplied;
    }

    /**
     * What a client may be told: the message when it only says why the store is gone (deleted,
     * expired, closing); a generic line when a lower-level failure caused it, since that message
     * names files and exceptions of the server, which belong in its log.
     */
    public String clientMessage() {
        return getCause() == null
                ? getMessage()
                : "the deployment's KV store is unavailable (the server log has the details)";
    }
}
