package dev.vivarium.core.outbound;

/**
 * Why an outbound request failed, in words for a log line: refused by the allowlist, a limit, a
 * timeout, or an upstream error. The ABI layer turns it into its {@code -1}; the guest never sees
 * the reason.
 */
public final class OutboundFailure extends RuntimeException {
    OutboundFailure(String reason) {
        super(reason, null, false, false);
    }

    /** {@code t} as a failure, keeping a reason already worded. */
    static OutboundFailure of(Throwable t) {
        if (t instanceof OutboundFailure f) {
            return f;
        }
        String m = t.getMessage();
        return new OutboundFailure(
                m == null || m.isBlank() ? t.getClass().getSimpleName() : m.trim());
    }
}
