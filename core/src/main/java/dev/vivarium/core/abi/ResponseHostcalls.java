package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.Hostcall.i;

import dev.vivarium.core.Outcome;
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

    /** {@code hostcall_resp_set_header}: replaces one header with N values. */
    public static int respSetHeader(
            CallContext ctx, int resp, int namePtr, int nameLen, int valuesPtr, int valuesLen) {
        HeaderCodec.Field field =
                HeaderCodec.readField(ctx.memory(), namePtr, nameLen, valuesPtr, valuesLen);
        if (resp != 0 || field == null) {
            return INVALID;
        }
        HeaderCodec.checkLimit(ctx.responseHeaders(), field, "the response");
        ctx.responseHeaders().set(field.name(), field.values());
        return OK;
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
}
