package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.RequestHostcalls.i;
import static java.nio.charset.StandardCharsets.ISO_8859_1;

import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import java.util.ArrayList;
import java.util.List;

/**
 * The response family: building the outgoing response (handle 0). See {@code guests/ABI.md}, rows
 * {@code hostcall_resp_set_*}. Returns {@link #OK} or {@link #INVALID}.
 */
public final class ResponseHostcalls implements HostcallFamily {
    /** {@code HostcallStatus::Ok}. */
    public static final int OK = 0;

    /** {@code HostcallStatus::Invalid}. */
    public static final int INVALID = 1;

    @Override
    public List<Hostcall> hostcalls() {
        return List.of(
                Hostcall.i32(
                        "hostcall_resp_set_header",
                        5,
                        (c, a) -> respSetHeader(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]))),
                Hostcall.i32(
                        "hostcall_resp_set_body",
                        3,
                        (c, a) -> respSetBody(c, i(a[0]), i(a[1]), i(a[2]))),
                Hostcall.i32(
                        "hostcall_resp_set_response_code",
                        2,
                        (c, a) -> respSetResponseCode(c, i(a[0]), i(a[1]))));
    }

    /**
     * The most header bytes (names and values) one message a guest builds may have: the outgoing
     * response, or one request it sends. Far above what servers accept (Jetty: 8 KiB by default),
     * it bounds what a guest can make the host hold.
     */
    public static final int MAX_HEADER_BYTES = 64 * 1024;

    /** {@code hostcall_resp_set_header}: replaces one header with N values. */
    public static int respSetHeader(
            CallContext ctx, int resp, int namePtr, int nameLen, int valuesPtr, int valuesLen) {
        GuestMemory mem = ctx.memory();
        String name = headerName(mem, namePtr, nameLen);
        List<byte[]> raw = headerValues(mem, valuesPtr, valuesLen, name);
        if (resp != 0 || !isToken(name)) {
            return INVALID;
        }
        List<String> values = fieldValues(raw);
        if (values == null) {
            return INVALID;
        }
        checkHeaderLimit(ctx.responseHeaders(), name, values, "the response");
        ctx.responseHeaders().set(name, values);
        return OK;
    }

    /** Reads a header name the guest sets; one longer than all headers may be is a limit trap. */
    static String headerName(GuestMemory mem, int namePtr, int nameLen) {
        mem.check(namePtr, nameLen, "header name");
        if (Integer.toUnsignedLong(nameLen) > MAX_HEADER_BYTES) {
            throw HostcallTrap.limit(
                    "header name of "
                            + Integer.toUnsignedLong(nameLen)
                            + " bytes exceeds the header limit ("
                            + MAX_HEADER_BYTES
                            + " bytes)");
        }
        return mem.readHeaderText(namePtr, nameLen, "header name");
    }

    /** Reads the values of a header the guest sets, refusing more than all headers may hold. */
    static List<byte[]> headerValues(GuestMemory mem, int valuesPtr, int valuesLen, String name) {
        return mem.readSlices(
                valuesPtr,
                valuesLen,
                "values of header " + name,
                MAX_HEADER_BYTES - name.length(),
                "the header limit");
    }

    /**
     * A limit trap if replacing header {@code name} with {@code values} would take the message's
     * headers past {@link #MAX_HEADER_BYTES}.
     */
    static void checkHeaderLimit(
            Headers headers, String name, List<String> values, String message) {
        long after = headers.length();
        for (String v : headers.values(name)) {
            after -= name.length() + v.length();
        }
        for (String v : values) {
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

    /**
     * Header values from the guest, one char per byte (ISO-8859-1), so Jetty writes exactly the
     * guest's bytes; null if one is not a field value.
     */
    static List<String> fieldValues(List<byte[]> raw) {
        List<String> values = new ArrayList<>(raw.size());
        for (byte[] v : raw) {
            String value = new String(v, ISO_8859_1);
            if (!isFieldValue(value)) {
                return null;
            }
            values.add(value);
        }
        return values;
    }

    /** {@code hostcall_resp_set_body}: replaces the outgoing body. */
    public static int respSetBody(CallContext ctx, int resp, int bodyPtr, int bodyLen) {
        if (resp != 0) {
            return INVALID;
        }
        if (Integer.toUnsignedLong(bodyLen) > ctx.maxResponseBodySize()) {
            throw HostcallTrap.limit(
                    "response body of "
                            + Integer.toUnsignedLong(bodyLen)
                            + " bytes exceeds maxResponseBodySize ("
                            + ctx.maxResponseBodySize()
                            + " bytes)");
        }
        ctx.holdResponseBody(Integer.toUnsignedLong(bodyLen));
        ctx.setResponseBody(ctx.memory().read(bodyPtr, bodyLen, "body"));
        return OK;
    }

    /**
     * {@code hostcall_resp_set_response_code}: a final status, 200..599. Anything else (the http
     * crate allows 100..999) is {@link #INVALID} and leaves the status as it was: a 1xx would go
     * out as an interim response, and 600 and above are not HTTP statuses.
     */
    public static int respSetResponseCode(CallContext ctx, int resp, int code) {
        if (resp != 0 || !Outcome.isFinalStatus(code)) {
            return INVALID;
        }
        ctx.setStatus(code);
        return OK;
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

    /** No CR, LF or NUL: a guest must not be able to split the response. */
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
