package dev.vivarium.core.engine;

/**
 * A guest file cannot be used: unreadable, not WebAssembly, not shaped like a Terrarium guest, or
 * past a {@link GuestLimits limit}. The message names the file and, for a shape problem, the import
 * or export, its type and what was expected.
 */
public final class GuestLoadException extends Exception {
    private final boolean tooLarge;

    public GuestLoadException(String message) {
        this(message, null, false);
    }

    public GuestLoadException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private GuestLoadException(String message, Throwable cause, boolean tooLarge) {
        super(message, cause);
        this.tooLarge = tooLarge;
    }

    /** The module declares more than a {@link GuestLimits} setting allows (an upload gets 413). */
    static GuestLoadException tooLarge(String message) {
        return new GuestLoadException(message, null, true);
    }

    /** Whether the module is refused for its size, not its shape. */
    public boolean tooLarge() {
        return tooLarge;
    }
}
