package dev.vivarium.core.abi;

import dev.vivarium.core.kv.PendingWrites;
import dev.vivarium.core.outbound.InFlight;
import dev.vivarium.core.outbound.OutboundFailure;
import dev.vivarium.core.outbound.OutboundRequest;
import dev.vivarium.core.outbound.OutboundResponse;
import dev.vivarium.core.outbound.OutboundSession;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest's outbound handles for one request: the requests it created and has not sent, the ones
 * in flight (pending) and the responses it received, each in its own bounded {@link HandleTable},
 * over the request's {@link OutboundSession}. The verbs answer the ABI's values: a handle, {@value
 * #ERROR} for every failure (the session has logged why), {@value #NOT_READY} from {@link #poll}.
 * Owned by the {@link CallContext}; closing it aborts whatever is still in flight.
 */
public final class OutboundHandles implements AutoCloseable {
    /** The ABI's error value for every kind of handle. */
    public static final int ERROR = -1;

    /** {@code pending_req_poll}: not done yet, the pending handle stays valid. */
    public static final int NOT_READY = -2;

    private final OutboundSession session;
    private final HandleTable<OutboundRequest> requests;
    private final HandleTable<InFlight> pending;
    private final HandleTable<OutboundResponse> responses;

    public OutboundHandles(OutboundSession session) {
        this.session = session;
        // a guest never holds more requests or responses than it may send
        int max = Math.max(1, session.limits().maxSubrequests());
        this.requests = new HandleTable<>("request", max);
        this.pending = new HandleTable<>("pending request", session.limits().maxPending());
        this.responses = new HandleTable<>("response", max);
    }

    /** The result of {@link #select}: which pending handle finished, and its response or -1. */
    public record Selected(int pending, int response) {}

    /** {@code req_create}: a new request handle, or -1 for a bad method, bad URL or refusal. */
    public int create(String method, String url) {
        OutboundRequest r;
        try {
            r = session.create(method, url);
        } catch (OutboundFailure e) {
            return ERROR;
        }
        int h = requests.insert(r);
        if (h < 0) {
            session.refuse(
                    "refused "
                            + r.url()
                            + ": more than "
                            + session.limits().maxSubrequests()
                            + " unsent requests (outbound.maxSubrequests)");
            return ERROR;
        }
        return h;
    }

    /** A request created by this guest and not sent yet, or null. */
    public OutboundRequest request(int handle) {
        return requests.get(handle);
    }

    /** {@code req_set_header} on a created request; false if the handle is not one. */
    public boolean setHeader(int handle, String name, List<String> values) {
        OutboundRequest r = requests.get(handle);
        if (r == null) {
            return false;
        }
        session.setHeader(r, name, values);
        return true;
    }

    /**
     * {@code req_set_body} on a created request; false if the handle is not one, or if the session
     * refused the body ({@code outbound.maxTotalRequestSize}).
     *
     * @throws dev.vivarium.core.resources.NoMemoryException if the engine's memory has no room
     */
    public boolean setBody(int handle, byte[] body) {
        OutboundRequest r = requests.get(handle);
        if (r == null) {
            return false;
        }
        try {
            session.setBody(r, body);
            return true;
        } catch (OutboundFailure e) {
            return false;
        }
    }

    /**
     * {@code req_send}: sends the request (consuming its handle) and waits for the response.
     *
     * @return a response handle, or -1
     * @throws InterruptedException if the guest's deadline passes while waiting; the request is
     *     aborted
     */
    public int send(int handle) throws InterruptedException {
        OutboundRequest r = requests.take(handle);
        if (r == null) {
            return ERROR;
        }
        // the other side must not learn of a KV write that may still be lost
        PendingWrites.awaitCurrent();
        try {
            return received(session.send(r));
        } catch (OutboundFailure e) {
            return ERROR;
        }
    }

    /**
     * {@code req_send_async}: starts the request (consuming its handle); a pending handle or -1.
     */
    public int sendAsync(int handle) {
        OutboundRequest r = requests.take(handle);
        if (r == null) {
            return ERROR;
        }
        PendingWrites.awaitCurrent();
        if (pending.live() >= session.limits().maxPending()) {
            session.refuse(
                    "refused to start another request: "
                            + session.limits().maxPending()
                            + " already in flight (outbound.maxPending)");
            return ERROR;
        }
        InFlight f;
        try {
            f = session.start(r);
        } catch (OutboundFailure e) {
            return ERROR;
        }
        int h = pending.insert(f);
        if (h < 0) {
            f.abort();
            session.refuse("refused " + f + ": no pending-request handle left");
            return ERROR;
        }
        return h;
    }

    /** {@code pending_req_wait}: consumes the pending handle; a response handle or -1. */
    public int await(int handle) throws InterruptedException {
        InFlight f = pending.take(handle);
        if (f == null) {
            return ERROR;
        }
        try {
            return received(session.await(f));
        } catch (OutboundFailure e) {
            return ERROR;
        }
    }

    /**
     * {@code pending_req_poll}: {@value #NOT_READY} if still running (the handle stays valid);
     * otherwise consumes it and returns a response handle or -1.
     */
    public int poll(int handle) {
        InFlight f = pending.get(handle);
        if (f == null) {
            return ERROR;
        }
        if (!f.isDone()) {
            return NOT_READY;
        }
        pending.take(handle);
        return finish(f);
    }

    /**
     * {@code pending_req_select}: waits until one of {@code handles} is done and consumes that one;
     * the others stay valid. A handle that is not pending counts as finished (with -1), so the
     * guest learns which one was wrong; an empty array gives {@code (-1, -1)}.
     */
    public Selected select(int[] handles) throws InterruptedException {
        if (handles.length == 0) {
            return new Selected(ERROR, ERROR);
        }
        List<InFlight> started = new ArrayList<>(handles.length);
        for (int h : handles) {
            InFlight f = pending.get(h);
            if (f == null) {
                return new Selected(h, ERROR);
            }
            started.add(f);
        }
        int done = handles[session.select(started)];
        return new Selected(done, finish(pending.take(done)));
    }

    /** A response this guest received, or null. */
    public OutboundResponse response(int handle) {
        return responses.get(handle);
    }

    /** The in-flight request behind a pending handle, or null; for tests. */
    InFlight inFlight(int pendingHandle) {
        return pending.get(pendingHandle);
    }

    /** Requests sent so far by this guest request. */
    public int sent() {
        return session.sent();
    }

    /** Aborts everything still in flight, forgets every handle and closes the session. */
    @Override
    public void close() {
        pending.closeAll(InFlight::abort);
        requests.closeAll(r -> {});
        responses.closeAll(r -> {});
        session.close();
    }

    private int finish(InFlight f) {
        try {
            return received(session.finish(f));
        } catch (OutboundFailure e) {
            return ERROR;
        }
    }

    private int received(OutboundResponse response) {
        // cannot be full: a guest receives at most maxSubrequests responses, the table's capacity
        int h = responses.insert(response);
        if (h < 0) {
            session.refuse("dropped a response: no response handle left");
        }
        return h < 0 ? ERROR : h;
    }
}
