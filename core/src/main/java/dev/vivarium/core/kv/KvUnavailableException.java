package dev.vivarium.core.kv;

/**
 * The store cannot serve the operation: it was deleted because its lifetime ended, the engine is
 * closing, or an I/O failure closed it. The message says which.
 */
public final class KvUnavailableException extends RuntimeException {
    KvUnavailableException(String message) {
        super(message);
    }

    KvUnavailableException(String message, Throwable cause) {
        super(message, cause);
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
