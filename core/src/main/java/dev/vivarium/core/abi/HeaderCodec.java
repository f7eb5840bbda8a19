package dev.vivarium.core.abi;

import dev.vivarium.core.Headers;
import java.util.List;

/**
 * Header lists between guest memory and Java, for every family that reads or sets headers: the
 * incoming request and the outgoing response, and the requests a guest sends and the responses it
 * receives. Names and values cross as octets (one char per byte, ISO-8859-1): the bytes HTTP
 * carries and Jetty reads and writes, whatever their encoding. See {@code guests/ABI.md}, "Platform
 * behaviour around the ABI".
 */
final class HeaderCodec {
    /**
     * The most header bytes (names and values) one message a guest builds may have: the outgoing
     * response, or one request it sends. Far above what servers accept (Jetty: 8 KiB by default),
     * it bounds what a guest can make the host hold.
     */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private HeaderCodec() {}

    /** A header a guest sets: its name and the values that replace the header's. */
    record Field(String name, List<String> values) {}

    /**
     * Reads the header a guest sets ({@code resp_set_header}, {@code req_set_header}): a name and a
     * GuestSlice array of values. A bad pointer, or a name or values longer than all headers may
     * be, is a trap.
     *
     * @return the header, or null if the name is not an RFC 9110 token or a value holds CR, LF or
     *     NUL (the call's {@code INVALID})
     */
    static Field readField(
            GuestMemory mem, int namePtr, int nameLen, int valuesPtr, int valuesLen) {
        String name = readSetName(mem, namePtr, nameLen);
        List<String> values =
                mem.readLatin1Slices(
                        valuesPtr,
                        valuesLen,
                        "values of header ",
                        name,
                        MAX_HEADER_BYTES - name.length(),
                        "the header limit");
        if (!isToken(name)) {
            return null;
        }
        for (int i = 0; i < values.size(); i++) {
            if (!isFieldValue(values.get(i))) {
                return null;
            }
        }
        return new Field(name, values);
    }

    /** Reads the name a getter asks for ({@code req_get_header}, {@code resp_get_header}). */
    static String readName(GuestMemory mem, int namePtr, int nameLen) {
        return mem.readLatin1(namePtr, nameLen, "header name");
    }

    /**
     * Writes the header names of {@code headers} as a GuestSlice array to the out-params; null
     * headers (no such message) are {@code (0, 0)}.
     */
    static void writeNames(GuestMemory mem, int ptrP, int lenP, Headers headers) {
        if (headers == null) {
            mem.writeNothing(ptrP, lenP);
            return;
        }
        mem.writeLatin1SlicesOut(ptrP, lenP, headers.names());
    }

    /**
     * Writes every value of header {@code name} as a GuestSlice array to the out-params; null
     * headers (no such message) are {@code (0, 0)}.
     */
    static void writeValues(GuestMemory mem, int ptrP, int lenP, Headers headers, String name) {
        if (headers == null) {
            mem.writeNothing(ptrP, lenP);
            return;
        }
        mem.writeLatin1SlicesOut(ptrP, lenP, headers.values(name));
    }

    /**
     * A limit trap if setting {@code field} on {@code headers} would take the message's headers
     * past {@link #MAX_HEADER_BYTES}.
     *
     * @param message the message, for the trap ("the response", "request 3")
     */
    static void checkLimit(Headers headers, Field field, String message) {
        String name = field.name();
        long after = headers.length();
        for (String v : headers.values(name)) {
            after -= name.length() + v.length();
        }
        for (String v : field.values()) {
            after += name.length() + v.length();
        }
        if (after > MAX_HEADER_BYTES) {
            throw HostcallTrap.limit(
                    "headers of "
                            + message
                            + " would have "
                            + after
                            + " bytes, more than the header limit ("
                            + MAX_HEADER_BYTES
                            + " bytes)");
        }
    }

    /** Reads a header name the guest sets; one longer than all headers may be is a limit trap. */
    private static String readSetName(GuestMemory mem, int namePtr, int nameLen) {
        mem.check(namePtr, nameLen, "header name");
        if (Integer.toUnsignedLong(nameLen) > MAX_HEADER_BYTES) {
            throw HostcallTrap.limit(
                    "header name of "
                            + Integer.toUnsignedLong(nameLen)
                            + " bytes exceeds the header limit ("
                            + MAX_HEADER_BYTES
                            + " bytes)");
        }
        return mem.readLatin1(namePtr, nameLen, "header name");
    }

    /** An RFC 9110 token, as the http crate's {@code HeaderName} requires. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            boolean ok =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** No CR, LF or NUL: a guest must not be able to split the message. */
    static boolean isFieldValue(String s) {
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '\r' || c == '\n' || c == 0) {
                return false;
            }
        }
        return true;
    }
}
