package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.wasm.ChicoryException;
import java.util.regex.Pattern;

/**
 * Plain words for what went wrong in a guest or its module, for messages a client reads. Those
 * never carry Java class names or the JDK's own exception text ({@code newPosition < 0}, {@code
 * Index -32768 out of bounds for length 5}, {@code OutOfMemoryError}): that text says nothing to
 * the guest's author and something about the host to an attacker. The server log keeps the
 * exception.
 */
public final class GuestFaults {
    /** Text that comes from the JVM or from Java code rather than from a wasm engine's checks. */
    private static final Pattern INTERNAL =
            Pattern.compile(
                    "java\\.|javax\\.|sun\\.|\\b[A-Z]\\w*(Exception|Error)\\b|newPosition|"
                            + "out of bounds for length|\\bat [a-z]+\\.[a-z]|\\$");

    private GuestFaults() {}

    /**
     * The exception's message if it is a wasm engine's own (a Chicory exception whose text holds
     * nothing from Java), else plain words for its kind; first line only, lower-case start.
     */
    public static String describe(Throwable e) {
        String m = firstLine(e.getMessage());
        if (e instanceof ChicoryException && m != null && !INTERNAL.matcher(m).find()) {
            return Character.toLowerCase(m.charAt(0)) + m.substring(1);
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            String words = words(c);
            if (words != null) {
                return words;
            }
        }
        return e instanceof ChicoryException
                ? "invalid or unsupported content"
                : "inconsistent or truncated content";
    }

    /**
     * Whether a failure came from the guest's code or the wasm engine running it, not from host
     * code: the first frame of Vivarium's own code below where it was thrown is the one that called
     * into the guest ({@link Dispatcher} running it, {@link InstancePool} instantiating it), so no
     * hostcall and no other host code threw it.
     */
    static boolean thrownInGuest(Throwable t) {
        if (t instanceof WasmException) {
            return true;
        }
        for (StackTraceElement f : t.getStackTrace()) {
            String c = f.getClassName();
            if (c.startsWith("dev.vivarium.")) {
                return c.equals(Dispatcher.class.getName())
                        || c.equals(InstancePool.class.getName());
            }
        }
        return false;
    }

    /** What a kind of exception means for a guest, in plain words; null if it has no meaning. */
    private static String words(Throwable t) {
        if (t instanceof WasmException w) {
            return "uncaught wasm exception (tag " + w.tagIdx() + ")";
        }
        if (t instanceof NegativeArraySizeException) {
            return "negative array size";
        }
        if (t instanceof IndexOutOfBoundsException) {
            return "out of bounds access";
        }
        if (t instanceof ArithmeticException) {
            return "/ by zero".equals(t.getMessage())
                    ? "integer divide by zero"
                    : "arithmetic fault";
        }
        if (t instanceof StackOverflowError) {
            return "call stack exhausted";
        }
        if (t instanceof OutOfMemoryError) {
            return "the server ran out of memory";
        }
        if (t instanceof java.nio.BufferUnderflowException
                || t instanceof java.nio.BufferOverflowException) {
            return "content ends before its declared size";
        }
        return null;
    }

    private static String firstLine(String m) {
        if (m == null || m.isBlank()) {
            return null;
        }
        m = m.trim();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
