package dev.vivarium.core.testing;

import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.http.ServerExchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A {@link ServerExchange} held in memory, for tests that serve a request through the engine
 * without a server: the body arrives in one piece, the response is recorded.
 */
public final class MemoryExchange implements ServerExchange {
    private final String method;
    private final String target;
    private final String host;
    private final Headers headers;
    private final byte[] body;
    private final String clientAddress;
    private int status;
    private final Headers responseHeaders = new Headers();
    private byte[] responseBody;
    private String error;
    private boolean done;

    public MemoryExchange(
            String method,
            String target,
            String host,
            Headers headers,
            byte[] body,
            String clientAddress) {
        this.method = Objects.requireNonNull(method);
        this.target = Objects.requireNonNull(target);
        this.host = Objects.requireNonNull(host);
        this.headers = headers == null ? new Headers() : headers.copy();
        this.body = body == null ? new byte[0] : body;
        this.clientAddress = clientAddress == null ? "" : clientAddress;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String target() {
        return target;
    }

    @Override
    public String pathInContext() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    @Override
    public String contextPath() {
        return "";
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return -1;
    }

    @Override
    public String scheme() {
        return "http";
    }

    @Override
    public Headers headers() {
        return headers.copy();
    }

    @Override
    public String clientAddress() {
        return clientAddress;
    }

    @Override
    public long contentLength() {
        return body.length;
    }

    @Override
    public void readBody(BodySink sink) throws IOException {
        if (sink.append(ByteBuffer.wrap(body))) {
            sink.end();
        }
    }

    @Override
    public void setStatus(int status) {
        this.status = status;
    }

    @Override
    public void setHeader(String name, String value) {
        responseHeaders.remove(name).add(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        responseHeaders.add(name, value);
    }

    @Override
    public void write(byte[] body, Runnable done) {
        responseBody = body;
        finish(done);
    }

    /** Records what is written; closing it answers the exchange. */
    @Override
    public java.io.OutputStream openBody(long contentLength) {
        return new java.io.ByteArrayOutputStream() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    responseBody = toByteArray();
                    finish(() -> {});
                }
            }
        };
    }

    @Override
    public void sendError(int status, String message, Runnable done) {
        this.status = status;
        this.error = message;
        finish(done);
    }

    private void finish(Runnable release) {
        if (done) {
            throw new IllegalStateException("answered twice");
        }
        done = true;
        release.run();
    }

    /** The headers set on the answer, a failure's ({@code Retry-After}) included. */
    public Headers responseHeaders() {
        return responseHeaders;
    }

    /**
     * What was answered, as an outcome: the response written, or a failure with the status and
     * message sent (its kind does not cross an exchange: {@link Outcome.Kind#HOST_ERROR}).
     */
    public Outcome outcome() {
        if (!done) {
            throw new IllegalStateException("not answered");
        }
        return error != null
                ? Outcome.failure(Outcome.Kind.HOST_ERROR, status, error)
                : Outcome.response(status, responseHeaders, responseBody);
    }
}
