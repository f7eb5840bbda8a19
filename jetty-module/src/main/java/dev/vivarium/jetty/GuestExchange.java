package dev.vivarium.jetty;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.engine.Route;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One routed request: reads the body up to {@code maxRequestBodySize} without blocking (the
 * read/demand loop Jetty uses to aggregate content), then runs the guest and writes its response,
 * or the failure with {@link Response#writeError}. Every path ends by completing the callback, and
 * no exception leaves {@link #run()}.
 *
 * <p>It is its own demand callback, declared {@link InvocationType#BLOCKING} because the guest runs
 * when the last chunk arrives and wasm blocks its thread: Jetty then calls it from a pool thread,
 * never from a selector thread.
 */
final class GuestExchange implements Runnable, Invocable {
    private static final Logger LOG = LoggerFactory.getLogger(GuestExchange.class);

    private final Vivarium engine;
    private final Route route;
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final RetainableByteBuffer.Mutable body;
    private boolean bodyReleased;

    /** Set when Jetty reports the request failed, e.g. an HTTP/2 client reset its stream. */
    private volatile boolean failed;

    GuestExchange(
            Vivarium engine, Route route, Request request, Response response, Callback callback) {
        this.engine = engine;
        this.route = route;
        this.request = request;
        this.response = response;
        this.callback = callback;
        long max = engine.options().maxRequestBodySize();
        // not pooled: the bytes are copied into the guest request once, then dropped
        this.body = new RetainableByteBuffer.DynamicCapacity(null, false, max);
        request.addFailureListener(x -> failed = true);
    }

    /** Reads what is available; called again by Jetty when more content arrives. */
    @Override
    public void run() {
        try {
            if (request.getLength() > engine.options().maxRequestBodySize()) {
                // refused on its Content-Length, before reading a byte of it
                releaseBody();
                respond(engine.requestTooLarge(route));
                return;
            }
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    Throwable failure = chunk.getFailure();
                    if (!chunk.isLast()) {
                        request.fail(failure);
                    }
                    releaseBody();
                    Response.writeError(request, response, callback, failure);
                    return;
                }
                boolean last = chunk.isLast();
                boolean appended = body.append(chunk);
                chunk.release();
                if (!appended) {
                    releaseBody();
                    respond(engine.requestTooLarge(route));
                    return;
                }
                if (last) {
                    byte[] bytes = body.takeByteArray();
                    releaseBody();
                    respond(
                            engine.handleUntilReleased(
                                    route, guestRequest(bytes), this::clientGone));
                    return;
                }
            }
        } catch (Throwable x) {
            fail(x);
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.BLOCKING;
    }

    private GuestRequest guestRequest(byte[] bytes) {
        Headers headers = new Headers();
        for (HttpField field : request.getHeaders()) {
            headers.add(field.getName(), field.getValue());
        }
        HttpURI uri = request.getHttpURI();
        // HTTP/2 and HTTP/3 carry the host as :authority, and HTTP/1.0 may leave it out (Jetty's
        // authority is then the address the request came in on): guests read Host
        if (headers.first("host") == null && uri.getAuthority() != null) {
            headers.add("host", uri.getAuthority());
        }
        // guests see the path as the client sent it; the admin API reads the path below its
        // admin.path, which is relative to the context this handler is in
        String pathAndQuery = route.isAdmin() ? pathQueryInContext(uri) : uri.getPathQuery();
        return new GuestRequest(
                request.getMethod(),
                pathAndQuery == null || pathAndQuery.isEmpty() ? "/" : pathAndQuery,
                Request.getServerName(request),
                headers,
                bytes,
                Request.getRemoteAddr(request));
    }

    /**
     * The raw path and query without the context path of the {@code ContextHandler} this handler is
     * in, if any. A client that spells the context path differently (escaped) keeps the whole path,
     * which the admin API refuses with a message saying to write the path without escapes.
     */
    private String pathQueryInContext(HttpURI uri) {
        String pathQuery = uri.getPathQuery();
        String context = Request.getContextPath(request);
        return context != null && !context.equals("/") && pathQuery.startsWith(context)
                ? pathQuery.substring(context.length())
                : pathQuery;
    }

    private void respond(Outcome outcome) {
        // the bodies stay counted in maxTotalMemory until the response is written or has failed
        Callback callback = Callback.from(this.callback, outcome::release);
        try {
            respond(outcome, callback);
        } catch (Throwable x) {
            outcome.release();
            throw x;
        }
    }

    /**
     * Whether the client is gone, as far as Jetty knows: its stream was reset (HTTP/2 and 3) or the
     * connection is closed. An HTTP/1.1 connection closed by the client is only noticed when Jetty
     * next reads or writes it, so such a request still runs.
     */
    private boolean clientGone() {
        return failed || !request.getConnectionMetaData().getConnection().getEndPoint().isOpen();
    }

    private void respond(Outcome outcome, Callback callback) {
        if (outcome.kind() == Outcome.Kind.CLIENT_GONE) {
            callback.failed(new EofException(outcome.message()));
            return;
        }
        if (!outcome.isOk()) {
            // e.g. Retry-After on a 503 of a full deployment
            HttpFields.Mutable fields = response.getHeaders();
            outcome.headers().writeEndToEnd((name, value, first) -> fields.add(name, value));
            Response.writeError(request, response, callback, outcome.status(), outcome.message());
            return;
        }
        response.setStatus(outcome.status());
        HttpFields.Mutable fields = response.getHeaders();
        outcome.headers()
                .writeEndToEnd(
                        (name, value, first) -> {
                            if (first) {
                                fields.put(name, value);
                            } else {
                                fields.add(name, value);
                            }
                        });
        // one last write: Jetty adds the Content-Length itself
        response.write(true, ByteBuffer.wrap(outcome.body()), callback);
    }

    private void releaseBody() {
        if (!bodyReleased) {
            bodyReleased = true;
            body.release();
        }
    }

    /** A host bug, not a guest fault: answer 500 if we still can, and never throw. */
    private void fail(Throwable x) {
        LOG.error("{}: failed to serve {}", route.guestName(), request.getHttpURI(), x);
        releaseBody();
        try {
            Response.writeError(
                    request, response, callback, 500, "internal error in " + route.guestName());
        } catch (Throwable again) {
            callback.failed(x);
        }
        if (x instanceof VirtualMachineError vme) {
            throw vme;
        }
    }
}
