package dev.vivarium.core.abi;

/**
 * The guest called WASI {@code proc_exit} (C's {@code exit}): its run ends here. The dispatcher
 * sends the response built so far for status 0 and answers any other status like a panic (see
 * {@code guests/ABI.md}, "WASI subset"). Not a {@link HostcallTrap}: it is no fault of the call.
 */
public final class GuestExit extends RuntimeException {
    private final int status;

    public GuestExit(int status) {
        super("guest called proc_exit(" + status + ")", null, false, false);
        this.status = status;
    }

    /** The exit status the guest passed. */
    public int status() {
        return status;
    }
}
