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
}
