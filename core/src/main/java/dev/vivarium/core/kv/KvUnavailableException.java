package dev.vivarium.core.kv;

/**
 * The store cannot serve the operation: it was deleted because its lifetime ended, the engine is
 * closing, an I/O failure closed it, or (for a remote backend) the backend cannot be reached. The
 * message says which. The engine answers the request 503; a backend throws it, with the lower-level
 * failure as its cause, for every failure that is not a broken limit.
 */
public final class KvUnavailableException extends RuntimeException {
    private final boolean notApplied;

    /** A store that cannot serve for the reason {@code message} gives; safe to show a client. */
    public KvUnavailableException(String message) {
        this(message, null, false);
    }

    /** A store that cannot serve because of {@code cause}, which only the server log shows. */
    public KvUnavailableException(String message, Throwable cause) {
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
    public static KvUnavailableException notApplied(String message, Throwable cause) {
        return new KvUnavailableException(message, cause, true);
    }

    /** Whether the operation is known to have had no effect on disk (see {@link #notApplied}). */
    public boolean isNotApplied() {
        return notApplied;
    }

    /** For an operation on a store object {@link KvStores} closed for {@code reason}. */
    public static KvUnavailableException closed(String deploymentId, StoreClosed reason) {
        return new KvUnavailableException(
                "the KV store of deployment '" + deploymentId + "' " + reason.text());
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
