package dev.vivarium.core.http;

import dev.vivarium.core.Headers;
import java.io.IOException;

/**
 * One HTTP request and its response, as a server adapter sees them: what {@link
 * dev.vivarium.core.Vivarium#serve} needs to route, read, run and answer a request. An adapter only
 * translates its server's request and response to these methods; routing, the admin API, body
 * limits (the 413 and its Content-Length pre-check), the Host fallback, hop-by-hop headers and
 * release-after-write live once, in core.
 *
 * <p>Request methods are called on the thread that called {@code serve}, before the body is read.
 * The response methods are called once per exchange: {@link #setStatus}, {@link #setHeader} and
 * {@link #addHeader} then one {@link #write}; or {@link #setHeader} and {@link #addHeader} (e.g.
 * Retry-After on a 503) then one {@link #sendError}; or one {@link #abandon}; or the status and
 * headers then one {@link #openBody}, written to and closed; possibly from the thread that
 * delivered the last body bytes. {@link #clientGone} may be called from any thread.
 */
public interface ServerExchange {
    /** The method, e.g. {@code GET}. */
    String method();

    /**
     * The request target as the client sent it, not decoded: the path with the context path, and
     * the query, e.g. {@code /shop/a%20b?x=1}; empty means {@code /}.
     */
    String target();

    /**
     * The path inside the context, decoded and normalized by the server (routes match it), e.g.
     * {@code /a b}; {@code /} when there is none.
     */
    String pathInContext();

    /**
     * The context path this exchange was matched under, as the server has it; empty at the root.
     */
    String contextPath();

    /**
     * The host the client asked for, without port: the Host header or {@code :authority}, or for an
     * HTTP/1.0 request without either the address it came in on.
     */
    String host();

    /** The port that goes with {@link #host()}, or -1 if the server does not know it. */
    int port();

    /** {@code http} or {@code https}. */
    String scheme();

    /** The request headers in order, as a new instance that core may change. */
    Headers headers();

    /** The client's IP address as text. */
    String clientAddress();

    /** The Content-Length of the body, or -1 when the body is chunked or there is none. */
    long contentLength();

    /**
     * Reads the body into {@code body}: {@link BodySink#append} for each piece in order, until it
     * returns false (the body passed the limit and the exchange has been answered: read no
     * further), then {@link BodySink#end} once the whole body has arrived. It may return before the
     * body has arrived and go on from another thread as more does (Jetty's demand loop), or read it
     * all before it returns (a servlet's stream).
     *
     * @throws IOException if reading fails (the server's own way of failing the exchange)
     */
    void readBody(BodySink body) throws IOException;

    /** Sets the response status (a final one, 200..599). */
    void setStatus(int status);

    /**
     * Sets a response header, replacing any value the server set up front (Jetty's Server and
     * Date). Only end-to-end headers are given: the server keeps its framing and connection ones.
     */
    void setHeader(String name, String value);

    /** Adds a value to a response header. */
    void addHeader(String name, String value);

    /**
     * Writes the whole body as the response's last write, with its Content-Length, and calls {@code
     * done} exactly once when the response has been written or has failed, before or after this
     * returns: the exchange's memory stays counted in {@code maxTotalMemory} until then.
     */
    void write(byte[] body, Runnable done) throws IOException;

    /**
     * Starts a streamed response body: the status and headers set before are committed, and the
     * bytes written to the stream go to the client as they are written, at the latest on {@code
     * flush()} (a server-sent event, a file too large to hold in memory). Closing the stream ends
     * the response; it returns once the last bytes are written (or throws when they could not be),
     * so the caller gives the exchange's memory back after it, as {@code done} does for {@link
     * #write}. A write or close that fails (the client left) throws {@link IOException} and has
     * failed the exchange the server's way; close the stream anyway.
     *
     * @param contentLength the body's exact length, sent as Content-Length; -1 when it is not known
     *     (chunked in HTTP/1.1, or the end of the stream in HTTP/2)
     * @throws IOException if the server cannot start the response
     */
    java.io.OutputStream openBody(long contentLength) throws IOException;

    /**
     * Answers with the server's own error response ({@code sendError}, {@code Response.writeError})
     * carrying {@code message}, and calls {@code done} as {@link #write} does.
     */
    void sendError(int status, String message, Runnable done) throws IOException;

    /**
     * Whether the client is gone, as far as the server can tell without reading or writing: a
     * request whose client left while it waited for its deployment to have room is not run. The
     * default, false, is for servers that cannot tell (the servlet API): such a request runs.
     */
    default boolean clientGone() {
        return false;
    }

    /**
     * Gives up on the response because the client is gone ({@link #clientGone} said so): the server
     * fails the exchange its own way (Jetty fails its callback with an EofException), and {@code
     * done} is called as {@link #write} does. The default answers with {@link #sendError} {@code
     * status}, for servers that have no other way.
     */
    default void abandon(int status, String message, Runnable done) throws IOException {
        sendError(status, message, done);
    }

    /** Receives a request body, piece by piece; core bounds it. */
    interface BodySink {
        /**
         * Takes the next bytes (all of {@code bytes}' remaining ones).
         *
         * @return false once the body is over the limit: the exchange has been answered (413) and
         *     the adapter must not read or call this sink again
         */
        boolean append(java.nio.ByteBuffer bytes) throws IOException;

        /** The whole body has arrived: runs the request and writes its response. */
        void end() throws IOException;
    }
}
