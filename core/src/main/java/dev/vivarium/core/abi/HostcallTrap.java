package dev.vivarium.core.abi;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.resources.NoMemoryException;

/**
 * A guest fault detected inside a hostcall: a bad pointer, a missing allocator, a broken limit. It
 * ends the guest's run like a wasm trap does; the dispatcher turns it into a 500 with {@link
 * #getMessage()} as the cause. Never used for host bugs, nor for the server having no memory for
 * the request (that is not the guest's fault: {@link NoMemoryException}, answered 503).
 */
public class HostcallTrap extends RuntimeException {
    private final Outcome.Kind kind;

    public HostcallTrap(String message) {
        this(Outcome.Kind.TRAP, message);
    }

    public HostcallTrap(Outcome.Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    /** {@link Outcome.Kind#TRAP} for faults, {@link Outcome.Kind#LIMIT} for broken limits. */
    public Outcome.Kind kind() {
        return kind;
    }

    /** A guest broke a configured platform limit (body size, KV value size, ...). */
    public static HostcallTrap limit(String message) {
        return new HostcallTrap(Outcome.Kind.LIMIT, message);
    }

    /** The same fault, its message prefixed with the hostcall it happened in. */
    HostcallTrap in(String hostcall) {
        if (getMessage().startsWith(hostcall)) {
            return this;
        }
        return new HostcallTrap(kind, hostcall + ": " + getMessage());
    }
}
