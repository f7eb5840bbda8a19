package dev.vivarium.jetty;

import dev.vivarium.core.Headers;
import dev.vivarium.core.http.ServerExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty core request and response as a {@link ServerExchange}. The body is read without blocking
 * (the read/demand loop Jetty uses to aggregate content), each chunk handed to the engine, which
 * bounds it; the response is written with one last write, or {@link Response#writeError}, both
 * completing the handler's callback. Only API that Jetty 12.0 and 12.1 share.
 *
 * <p>It is its own demand callback, declared {@link InvocationType#BLOCKING} because the guest runs
 * when the last chunk arrives and wasm blocks its thread: Jetty then calls it from a pool thread,
 * never from a selector thread. No exception leaves {@link #run()}.
 */
final class JettyExchange implements ServerExchange, Runnable, Invocable {
    private static final Logger LOG = LoggerFactory.getLogger(JettyExchange.class);

    private final Request request;
    private final Response response;
    private final Callback callback;
    private BodySink body;

    /** Set when Jetty reports the request failed, e.g. an HTTP/2 client reset its stream. */
    private volatile boolean failed;

    JettyExchange(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
    }

    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String target() {
        return request.getHttpURI().getPathQuery();
    }

    @Override
    public String pathInContext() {
        return Request.getPathInContext(request);
    }

    @Override
    public String contextPath() {
        String context = Request.getContextPath(request);
        return context == null || context.equals("/") ? "" : context;
    }

    @Override
    public String host() {
        return Request.getServerName(request);
    }

    @Override
    public int port() {
        return Request.getServerPort(request);
    }

    @Override
    public String scheme() {
        return request.getHttpURI().getScheme();
    }

    @Override
    public Headers headers() {
        HttpFields fields = request.getHeaders();
        Headers headers = new Headers(fields.size());
        for (HttpField field : fields) {
            headers.add(field.getName(), field.getValue());
        }
        return headers;
    }

    @Override
    public String clientAddress() {
        return Request.getRemoteAddr(request);
    }

    @Override
    public long contentLength() {
        return request.getLength();
    }

    @Override
    public void readBody(BodySink body) {
        this.body = body;
        // only routed requests get here: a declined one goes on to the next handler untouched
        request.addFailureListener(x -> failed = true);
        run();
    }

    /** Reads what is available; called again by Jetty when more content arrives. */
    @Override
    public void run() {
        try {
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
                    Response.writeError(request, response, callback, failure);
                    return;
                }
                boolean last = chunk.isLast();
                boolean more = body.append(chunk.getByteBuffer());
                chunk.release();
                if (!more) {
                    return;
                }
                if (last) {
                    body.end();
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

    @Override
    public void setStatus(int status) {
        response.setStatus(status);
    }

    @Override
    public void setHeader(String name, String value) {
        response.getHeaders().put(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        response.getHeaders().add(name, value);
    }

    @Override
    public void write(byte[] bytes, Runnable done) {
        // one last write: Jetty adds the Content-Length itself
        response.write(true, ByteBuffer.wrap(bytes), Callback.from(callback, done));
    }

    /**
     * A blocking stream over the response's {@link Content.Sink}: each write goes out before it
     * returns (flush has nothing left to do), close writes the last chunk and completes the
     * handler's callback; a failed write fails it.
     */
    @Override
    public OutputStream openBody(long contentLength) {
        if (contentLength >= 0) {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(contentLength));
        }
        return new BodyStream();
    }

    private final class BodyStream extends OutputStream {
        private boolean completed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (completed) {
                throw new IOException("the response body is closed");
            }
            if (len > 0) {
                send(false, ByteBuffer.wrap(b, off, len));
            }
        }

        @Override
        public void close() throws IOException {
            if (!completed) {
                send(true, ByteBuffer.allocate(0));
                completed = true;
                callback.succeeded();
            }
        }

        private void send(boolean last, ByteBuffer bytes) throws IOException {
            try {
                // blocking (the caller's thread waits, as wasm does), so the bytes need no copy
                Content.Sink.write(response, last, bytes);
            } catch (IOException | RuntimeException e) {
                completed = true;
                callback.failed(e);
                throw e instanceof IOException io ? io : new IOException(e);
            }
        }
    }

    @Override
    public void sendError(int status, String message, Runnable done) {
        Response.writeError(request, response, Callback.from(callback, done), status, message);
    }

    /**
     * Whether the client is gone, as far as Jetty knows: it reported the request failed (an HTTP/2
     * or 3 stream reset) or the connection is closed. An HTTP/1.1 connection closed by the client
     * is only noticed when Jetty next reads or writes it, so such a request still runs.
     */
    @Override
    public boolean clientGone() {
        return failed || !request.getConnectionMetaData().getConnection().getEndPoint().isOpen();
    }

    @Override
    public void abandon(int status, String message, Runnable done) {
        Callback.from(callback, done).failed(new EofException(message));
    }

    /** A host bug, not a guest fault: answer 500 if we still can, and never throw. */
    private void fail(Throwable x) {
        LOG.error("failed to serve {}", request.getHttpURI(), x);
        try {
            Response.writeError(request, response, callback, 500, "internal error");
        } catch (Throwable again) {
            callback.failed(x);
        }
        if (x instanceof VirtualMachineError vme) {
            throw vme;
        }
    }
}
