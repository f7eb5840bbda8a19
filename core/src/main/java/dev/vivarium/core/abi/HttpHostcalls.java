package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.Hostcall.i;
import static dev.vivarium.core.abi.ResponseHostcalls.INVALID;
import static dev.vivarium.core.abi.ResponseHostcalls.OK;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.outbound.OutboundRequest;
import dev.vivarium.core.outbound.OutboundResponse;
import dev.vivarium.core.outbound.OutboundUrl;
import java.util.List;

/**
 * The outbound HTTP family: creating and sending requests, waiting for them, reading what came
 * back. See {@code guests/ABI.md}, rows {@code hostcall_req_create} to {@code
 * hostcall_resp_get_response_code}. Handles live in the request's {@link OutboundHandles}, in its
 * {@link CallContext}; they are opened by the first {@code req_create}, so every other call on a
 * guest that never created a request finds no handle and answers the ABI's error value without
 * opening one.
 *
 * <p>Handle 0 is the incoming request or the outgoing response, never an outbound one: {@code
 * req_send(0)} is -1, the request setters on 0 are invalid (1), the response getters on 0 write
 * {@code (0, 0)} and {@code resp_get_response_code(0)} is -1. A thread interrupt (the deadline
 * watchdog) while a call blocks aborts what it waited for and ends the guest's run.
 */
public final class HttpHostcalls implements HostcallFamily {
    static final int MAX_METHOD_LENGTH = 64;
    static final int MAX_HEADER_NAME_LENGTH = 1024;
    static final int MAX_HEADER_VALUES = 1024;
    static final int MAX_SELECT = 1024;

    @Override
    public List<Hostcall> hostcalls() {
        return List.of(
                Hostcall.i32(
                        "hostcall_req_create",
                        4,
                        (c, a) -> reqCreate(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]))),
                Hostcall.i32(
                        "hostcall_req_set_header",
                        5,
                        (c, a) -> reqSetHeader(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]))),
                Hostcall.i32(
                        "hostcall_req_set_body",
                        3,
                        (c, a) -> reqSetBody(c, i(a[0]), i(a[1]), i(a[2]))),
                Hostcall.i32("hostcall_req_send", 1, (c, a) -> reqSend(c, i(a[0]))),
                Hostcall.i32("hostcall_req_send_async", 1, (c, a) -> reqSendAsync(c, i(a[0]))),
                Hostcall.i32("hostcall_pending_req_wait", 1, (c, a) -> pendingReqWait(c, i(a[0]))),
                Hostcall.i32("hostcall_pending_req_poll", 1, (c, a) -> pendingReqPoll(c, i(a[0]))),
                Hostcall.i32(
                        "hostcall_pending_req_select",
                        3,
                        (c, a) -> pendingReqSelect(c, i(a[0]), i(a[1]), i(a[2]))),
                Hostcall.voidI32(
                        "hostcall_resp_get_headers",
                        3,
                        (c, a) -> respGetHeaders(c, i(a[0]), i(a[1]), i(a[2]))),
                Hostcall.voidI32(
                        "hostcall_resp_get_header",
                        5,
                        (c, a) -> respGetHeader(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]))),
                Hostcall.voidI32(
                        "hostcall_resp_get_body",
                        3,
                        (c, a) -> respGetBody(c, i(a[0]), i(a[1]), i(a[2]))),
                Hostcall.i32(
                        "hostcall_resp_get_response_code",
                        1,
                        (c, a) -> respGetResponseCode(c, i(a[0]))));
    }

    /** {@code hostcall_req_create}: a request handle, or -1 (bad method or URL, or refused). */
    public static int reqCreate(
            CallContext ctx, int methodPtr, int methodLen, int urlPtr, int urlLen) {
        GuestMemory mem = ctx.memory();
        mem.check(methodPtr, methodLen, "method");
        mem.check(urlPtr, urlLen, "url");
        if (Integer.toUnsignedLong(methodLen) > MAX_METHOD_LENGTH
                || Integer.toUnsignedLong(urlLen) > OutboundUrl.MAX_LENGTH) {
            ctx.log().info("req_create: method or URL too long");
            return OutboundHandles.ERROR;
        }
        String method = mem.readString(methodPtr, methodLen, "method");
        String url = mem.readString(urlPtr, urlLen, "url");
        return ctx.outbound().create(method, url);
    }

    /** {@code hostcall_req_set_header}: replaces a header of a created request; status. */
    public static int reqSetHeader(
            CallContext ctx, int req, int namePtr, int nameLen, int valuesPtr, int valuesLen) {
        GuestMemory mem = ctx.memory();
        mem.check(namePtr, nameLen, "header name");
        if (Integer.toUnsignedLong(nameLen) > MAX_HEADER_NAME_LENGTH
                || Integer.toUnsignedLong(valuesLen) > MAX_HEADER_VALUES) {
            return INVALID;
        }
        HeaderCodec.Field field =
                HeaderCodec.readField(mem, namePtr, nameLen, valuesPtr, valuesLen);
        OutboundHandles s = session(ctx, req);
        OutboundRequest r = s == null ? null : s.request(req);
        if (r == null || field == null) {
            return INVALID;
        }
        HeaderCodec.checkLimit(r.headers(), field, "request " + req);
        return s.setHeader(req, field.name(), field.values()) ? OK : INVALID;
    }

    /** {@code hostcall_req_set_body}: replaces the body of a created request; status. */
    public static int reqSetBody(CallContext ctx, int req, int bodyPtr, int bodyLen) {
        byte[] body = ctx.memory().read(bodyPtr, bodyLen, "body");
        OutboundHandles s = session(ctx, req);
        return s != null && s.setBody(req, body) ? OK : INVALID;
    }

    /** {@code hostcall_req_send}: consumes the request; a response handle or -1. */
    public static int reqSend(CallContext ctx, int req) {
        OutboundHandles s = session(ctx, req);
        if (s == null) {
            return OutboundHandles.ERROR;
        }
        try {
            return s.send(req);
        } catch (InterruptedException e) {
            throw interrupted("hostcall_req_send");
        }
    }

    /** {@code hostcall_req_send_async}: consumes the request; a pending handle or -1. */
    public static int reqSendAsync(CallContext ctx, int req) {
        OutboundHandles s = session(ctx, req);
        return s == null ? OutboundHandles.ERROR : s.sendAsync(req);
    }

    /** {@code hostcall_pending_req_wait}: consumes the pending handle; a response handle or -1. */
    public static int pendingReqWait(CallContext ctx, int pr) {
        OutboundHandles s = session(ctx, pr);
        if (s == null) {
            return OutboundHandles.ERROR;
        }
        try {
            return s.await(pr);
        } catch (InterruptedException e) {
            throw interrupted("hostcall_pending_req_wait");
        }
    }

    /**
     * {@code hostcall_pending_req_poll}: -2 while running (the handle stays valid), else consumes
     * it and returns a response handle or -1.
     */
    public static int pendingReqPoll(CallContext ctx, int pr) {
        OutboundHandles s = session(ctx, pr);
        return s == null ? OutboundHandles.ERROR : s.poll(pr);
    }

    /**
     * {@code hostcall_pending_req_select}: waits for one of the {@code prsLen} i32 handles at
     * {@code prsPtr}, writes the one that finished to {@code *prOut} (on success and on error), and
     * returns its response handle or -1, never -2. Only the finished handle is consumed. With no
     * handles (or more than {@value #MAX_SELECT}) it writes -1 and returns -1.
     */
    public static int pendingReqSelect(CallContext ctx, int prsPtr, int prsLen, int prOut) {
        GuestMemory mem = ctx.memory();
        mem.check(prOut, 4, "pr_out");
        if (prsLen <= 0 || prsLen > MAX_SELECT) {
            mem.writeI32(prOut, OutboundHandles.ERROR, "pr_out");
            return OutboundHandles.ERROR;
        }
        int[] handles = mem.readI32s(prsPtr, prsLen, "pending request handles");
        OutboundHandles s = ctx.outboundIfOpen();
        OutboundHandles.Selected done;
        if (s == null) {
            done = new OutboundHandles.Selected(handles[0], OutboundHandles.ERROR);
        } else {
            try {
                done = s.select(handles);
            } catch (InterruptedException e) {
                throw interrupted("hostcall_pending_req_select");
            }
        }
        mem.writeI32(prOut, done.pending(), "pr_out");
        return done.response();
    }

    /** {@code hostcall_resp_get_headers}: header names of a received response. */
    public static void respGetHeaders(CallContext ctx, int namesPtrP, int namesLenP, int resp) {
        OutboundResponse r = response(ctx, resp);
        HeaderCodec.writeNames(ctx.memory(), namesPtrP, namesLenP, r == null ? null : r.headers());
    }

    /** {@code hostcall_resp_get_header}: all values of one header of a received response. */
    public static void respGetHeader(
            CallContext ctx, int valuesPtrP, int valuesLenP, int resp, int namePtr, int nameLen) {
        GuestMemory mem = ctx.memory();
        String name = HeaderCodec.readName(mem, namePtr, nameLen);
        OutboundResponse r = response(ctx, resp);
        HeaderCodec.writeValues(mem, valuesPtrP, valuesLenP, r == null ? null : r.headers(), name);
    }

    /** {@code hostcall_resp_get_body}: the body of a received response; empty is {@code (0, 0)}. */
    public static void respGetBody(CallContext ctx, int ptrP, int lenP, int resp) {
        OutboundResponse r = response(ctx, resp);
        ctx.memory().writeOut(ptrP, lenP, r == null ? null : r.body());
    }

    /** {@code hostcall_resp_get_response_code}: the status of a received response, or -1. */
    public static int respGetResponseCode(CallContext ctx, int resp) {
        OutboundResponse r = response(ctx, resp);
        return r == null ? OutboundHandles.ERROR : r.status();
    }

    /**
     * A request this guest created and has not sent, seen as a {@link GuestRequest} so the {@code
     * req_get_*} calls can read it back; null for any other handle.
     */
    static GuestRequest createdRequest(CallContext ctx, int req) {
        OutboundHandles s = session(ctx, req);
        OutboundRequest r = s == null ? null : s.request(req);
        if (r == null) {
            return null;
        }
        OutboundUrl url = r.url();
        return new GuestRequest(
                r.method(), url.pathAndQuery(), url.authority(), r.headers(), r.body(), "");
    }

    /** The open session if {@code handle} could name something in it (handles start at 1). */
    private static OutboundHandles session(CallContext ctx, int handle) {
        return handle < 1 ? null : ctx.outboundIfOpen();
    }

    private static OutboundResponse response(CallContext ctx, int resp) {
        OutboundHandles s = session(ctx, resp);
        return s == null ? null : s.response(resp);
    }

    /**
     * Ends the guest's run after an interrupt; the request was aborted, and the interrupt flag is
     * kept so the dispatcher sees why (its watchdog: 504).
     */
    static ChicoryInterruptedException interrupted(String hostcall) {
        Thread.currentThread().interrupt();
        return new ChicoryInterruptedException(hostcall + " was interrupted");
    }
}
