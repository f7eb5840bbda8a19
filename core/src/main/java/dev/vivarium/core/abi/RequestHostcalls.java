package dev.vivarium.core.abi;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.vivarium.core.GuestRequest;
import java.util.ArrayList;
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
                        (c, a) -> {
                            reqGetHeader(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]));
                            return 0;
                        }),
                Hostcall.voidI32(
                        "hostcall_req_get_headers",
                        3,
                        (c, a) -> {
                            reqGetHeaders(c, i(a[0]), i(a[1]), i(a[2]));
                            return 0;
                        }),
                Hostcall.voidI32(
                        "hostcall_req_get_method",
                        3,
                        (c, a) -> {
                            reqGetMethod(c, i(a[0]), i(a[1]), i(a[2]));
                            return 0;
                        }),
                Hostcall.voidI32(
                        "hostcall_req_get_path",
                        3,
                        (c, a) -> {
                            reqGetPath(c, i(a[0]), i(a[1]), i(a[2]));
                            return 0;
                        }),
                Hostcall.voidI32(
                        "hostcall_req_get_body",
                        3,
                        (c, a) -> {
                            reqGetBody(c, i(a[0]), i(a[1]), i(a[2]));
                            return 0;
                        }));
    }

    static int i(long v) {
        return (int) v;
    }

    /** {@code hostcall_req_get_header}: all values of one header, as a GuestSlice array. */
    public static void reqGetHeader(
            CallContext ctx, int valuesPtrP, int valuesLenP, int req, int namePtr, int nameLen) {
        GuestMemory mem = ctx.memory();
        String name = mem.readHeaderText(namePtr, nameLen, "header name");
        GuestRequest incoming = incoming(ctx, req);
        if (incoming == null) {
            mem.writeNothing(valuesPtrP, valuesLenP);
            return;
        }
        mem.writeSlicesOut(valuesPtrP, valuesLenP, octets(incoming.headers().values(name)));
    }

    /** {@code hostcall_req_get_headers}: all header names, as a GuestSlice array. */
    public static void reqGetHeaders(CallContext ctx, int namesPtrP, int namesLenP, int req) {
        GuestRequest incoming = incoming(ctx, req);
        if (incoming == null) {
            ctx.memory().writeNothing(namesPtrP, namesLenP);
            return;
        }
        ctx.memory().writeSlicesOut(namesPtrP, namesLenP, octets(incoming.headers().names()));
    }

    /** {@code hostcall_req_get_method}. */
    public static void reqGetMethod(CallContext ctx, int ptrP, int lenP, int req) {
        GuestRequest incoming = incoming(ctx, req);
        ctx.memory()
                .writeOut(ptrP, lenP, incoming == null ? null : incoming.method().getBytes(UTF_8));
    }

    /** {@code hostcall_req_get_path}: the path including the query string. */
    public static void reqGetPath(CallContext ctx, int ptrP, int lenP, int req) {
        GuestRequest incoming = incoming(ctx, req);
        ctx.memory()
                .writeOut(
                        ptrP,
                        lenP,
                        incoming == null ? null : incoming.pathAndQuery().getBytes(UTF_8));
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

    /**
     * Header names or values as the octets they arrived as: Jetty reads each header byte as one
     * char (ISO-8859-1), so this gives the guest the bytes on the wire. A char above U+00FF (none
     * comes from the wire) becomes {@code ?}, as Jetty writes it.
     */
    static List<byte[]> octets(List<String> strings) {
        List<byte[]> out = new ArrayList<>(strings.size());
        for (String s : strings) {
            out.add(s.getBytes(ISO_8859_1));
        }
        return out;
    }
}
