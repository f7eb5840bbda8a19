package dev.vivarium.core.engine;

/**
 * A guest file cannot be used: unreadable, not WebAssembly, or not shaped like a Terrarium guest.
 * The message names the file and, for a shape problem, the import or export, its type and what was
 * expected.
 */
public final class GuestLoadException extends Exception {
    public GuestLoadException(String message) {
        super(message);
    }

    public GuestLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
