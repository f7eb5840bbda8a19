package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.Hostcall.i;

import dev.vivarium.core.GuestRequest;
import java.util.List;

/**
 * The request family: reading the incoming request (handle 0), or a request the guest created with
 * {@code hostcall_req_create} and has not sent yet (its URL's path and query as the path). See
 * {@code guests/ABI.md}, rows {@code hostcall_req_get_*}. Any other handle reads as "nothing": both
 * out-params are written as {@code (0, 0)}.
 */
public final class RequestHostcalls implements HostcallFamily {

    @Override
    public List<Hostcall> hostcalls() {
        return List.of(
                Hostcall.voidI32(
                        "hostcall_req_get_header",
                        5,
                        (c, a) -> reqGetHeader(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]))),
                Hostcall.voidI32(
                        "hostcall_req_get_headers",
                        3,
                        (c, a) -> reqGetHeaders(c, i(a[0]), i(a[1]), i(a[2]))),
                Hostcall.voidI32(
                        "hostcall_req_get_method",
                        3,
                        (c, a) -> reqGetMethod(c, i(a[0]), i(a[1]), i(a[2]))),
                Hostcall.voidI32(
                        "hostcall_req_get_path",
                        3,
                        (c, a) -> reqGetPath(c, i(a[0]), i(a[1]), i(a[2]))),
                Hostcall.voidI32(
                        "hostcall_req_get_body",
                        3,
                        (c, a) -> reqGetBody(c, i(a[0]), i(a[1]), i(a[2]))));
    }

    /** {@code hostcall_req_get_header}: all values of one header, as a GuestSlice array. */
    public static void reqGetHeader(
            CallContext ctx, int valuesPtrP, int valuesLenP, int req, int namePtr, int nameLen) {
        GuestMemory mem = ctx.memory();
        String name = HeaderCodec.readName(mem, namePtr, nameLen);
        GuestRequest incoming = incoming(ctx, req);
        HeaderCodec.writeValues(
                mem, valuesPtrP, valuesLenP, incoming == null ? null : incoming.headers(), name);
    }

    /** {@code hostcall_req_get_headers}: all header names, as a GuestSlice array. */
    public static void reqGetHeaders(CallContext ctx, int namesPtrP, int namesLenP, int req) {
        GuestRequest incoming = incoming(ctx, req);
        HeaderCodec.writeNames(
                ctx.memory(), namesPtrP, namesLenP, incoming == null ? null : incoming.headers());
    }

    /** {@code hostcall_req_get_method}. */
    public static void reqGetMethod(CallContext ctx, int ptrP, int lenP, int req) {
        GuestRequest incoming = incoming(ctx, req);
        ctx.memory().writeOut(ptrP, lenP, incoming == null ? null : incoming.method(), true);
    }

    /** {@code hostcall_req_get_path}: the path including the query string. */
    public static void reqGetPath(CallContext ctx, int ptrP, int lenP, int req) {
        GuestRequest incoming = incoming(ctx, req);
        ctx.memory().writeOut(ptrP, lenP, incoming == null ? null : incoming.pathAndQuery(), true);
    }

    /** {@code hostcall_req_get_body}: the whole body; an empty body is {@code (0, 0)}. */
    public static void reqGetBody(CallContext ctx, int ptrP, int lenP, int req) {
        GuestRequest incoming = incoming(ctx, req);
        ctx.memory().writeOut(ptrP, lenP, incoming == null ? null : incoming.body());
    }

    /** The incoming request (0), or a request the guest created and has not sent yet. */
    private static GuestRequest incoming(CallContext ctx, int req) {
        return req == 0 ? ctx.request() : HttpHostcalls.createdRequest(ctx, req);
    }
}
