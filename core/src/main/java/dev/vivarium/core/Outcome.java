package dev.vivarium.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * What the engine answers for one routed request: either the guest's response, or a failure with
 * the status and short message the adapter sends with its container's error mechanism ({@code
 * sendError} / {@code Response.writeError}).
 */
public final class Outcome {

    /** Why a request did not produce the guest's response. */
    public enum Kind {
        /** The guest ran to completion; {@link #status()}, headers and body are its response. */
        OK,
        /** The guest panicked: 500 with the panic message. */
        PANIC,
        /** The guest trapped (including a bad pointer passed to a hostcall): 500. */
        TRAP,
        /** The guest ran past its deadline and was interrupted: 504. */
        DEADLINE,
        /** The request body was larger than allowed: 413. */
        REQUEST_TOO_LARGE,
        /** The guest broke a platform limit (e.g. response body size): 500. */
        LIMIT,
        /** The host failed (a bug or an unavailable resource): 500. */
        HOST_ERROR,
        /**
         * No instance could be had in time, or the deployment already runs and queues as many
         * requests as it may: 503 (with {@code Retry-After} when the deployment is full).
         */
        OVERLOADED,
        /**
         * The request already passed through more Vivarium guests than {@code outbound.maxHops}
         * (its {@code CDN-Loop} header): 508 Loop Detected, no guest runs.
         */
        LOOP,
        /**
         * The client was gone before the guest started, so it never ran; 499 (the status nginx logs
         * for it), which no client sees.
         */
        CLIENT_GONE
    }

    private final Kind kind;
    private final int status;
    private final Headers headers;
    private final byte[] body;
    private final String message;
    private BodyWriter writer; // set only by streamed()
    private long contentLength = -1;

    /** Gives back the memory counted for the exchange's bodies; null once run (or if none). */
    @SuppressWarnings("unused") // through RELEASE
    private volatile Release release;

    private static final VarHandle RELEASE;

    static {
        try {
            RELEASE = MethodHandles.lookup().findVarHandle(Outcome.class, "release", Release.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Outcome(Kind kind, int status, Headers headers, byte[] body, String message) {
        if (!isFinalStatus(status)) {
            // a 1xx would go out as an interim response and desynchronise the connection
            throw new IllegalArgumentException(
                    "an outcome needs a final status (200..599), not " + status);
        }
        this.kind = kind;
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.message = message;
    }

    /**
     * The guest's (or the admin API's) response.
     *
     * @throws IllegalArgumentException if {@code status} is not a {@link #isFinalStatus final} one
     */
    public static Outcome response(int status, Headers headers, byte[] body) {
        return new Outcome(
                Kind.OK,
                status,
                Objects.requireNonNull(headers),
                Objects.requireNonNull(body),
                null);
    }

    /**
     * A response whose body is written as it is produced, through {@link
     * dev.vivarium.core.http.ServerExchange#openBody}: server-sent events, a large file. The writer
     * runs on the thread that writes the response, after the status and headers are sent.
     *
     * @param contentLength the body's exact length, or -1 when it is not known in advance
     */
    public static Outcome streamed(
            int status, Headers headers, long contentLength, BodyWriter writer) {
        Outcome o = response(status, headers, new byte[0]);
        o.writer = Objects.requireNonNull(writer, "writer");
        o.contentLength = contentLength < 0 ? -1 : contentLength;
        return o;
    }

    /** Writes a {@link #streamed} body. */
    @FunctionalInterface
    public interface BodyWriter {
        /**
         * Writes the body to {@code out} (flushing where the client should see what it has so far);
         * the caller closes it.
         *
         * @throws java.io.IOException when the client is gone: stop writing
         */
        void writeTo(java.io.OutputStream out) throws java.io.IOException;
    }

    /** The writer of a {@link #streamed} body; null for a body held in {@link #body()}. */
    public BodyWriter writer() {
        return writer;
    }

    /** The Content-Length of a {@link #streamed} body, -1 when not known. */
    public long contentLength() {
        return contentLength;
    }

    /**
     * A failure the adapter sends as an error response.
     *
     * @throws IllegalArgumentException if {@code kind} is {@link Kind#OK} or {@code status} is not
     *     a {@link #isFinalStatus final} one
     */
    public static Outcome failure(Kind kind, int status, String message) {
        if (kind == Kind.OK) {
            throw new IllegalArgumentException("a failure needs a failure kind");
        }
        return new Outcome(kind, status, new Headers(), new byte[0], message);
    }

    /**
     * Whether {@code status} is a final HTTP status, 200..599: the only ones an outcome, and so the
     * response on the wire, may have.
     */
    public static boolean isFinalStatus(int status) {
        return status >= 200 && status <= 599;
    }

    public Kind kind() {
        return kind;
    }

    public boolean isOk() {
        return kind == Kind.OK;
    }

    public int status() {
        return status;
    }

    public Headers headers() {
        return headers;
    }

    public byte[] body() {
        return body;
    }

    /** The short cause of a failure, shown to the client; null for {@link Kind#OK}. */
    public String message() {
        return message;
    }

    /**
     * What {@link #release()} runs: gives back what the exchange held (the request's and the
     * response's bodies). An interface of its own, not {@code Runnable}, so a request's context can
     * be it without a closure per request.
     */
    @FunctionalInterface
    public interface Release {
        void releaseBodies();
    }

    /**
     * Runs {@code release} when {@link #release()} is called: the engine's way of keeping the
     * request's and response's bodies counted in {@code maxTotalMemory} until they are written.
     */
    public Outcome onRelease(Release release) {
        RELEASE.setVolatile(this, release);
        return this;
    }

    /**
     * Tells the engine that the exchange is over (the response is written, or failed): the memory
     * counted for its bodies is given back. Idempotent, thread-safe.
     */
    public void release() {
        Release r = (Release) RELEASE.getAndSet(this, (Release) null);
        if (r != null) {
            r.releaseBodies();
        }
    }

    @Override
    public String toString() {
        return isOk()
                ? "Outcome[" + status + ", " + body.length + " bytes]"
                : "Outcome[" + kind + " " + status + ": " + message + "]";
    }
}
