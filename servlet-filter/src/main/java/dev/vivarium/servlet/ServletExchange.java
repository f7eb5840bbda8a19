package dev.vivarium.servlet;

import dev.vivarium.core.Headers;
import dev.vivarium.core.http.ServerExchange;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Enumeration;

/**
 * A servlet request and response as a {@link ServerExchange}: the body is read from the blocking
 * input stream, the response written synchronously (so {@code done} runs before each write
 * returns), errors sent with {@code sendError}.
 */
final class ServletExchange implements ServerExchange {
    private final HttpServletRequest request;
    private final HttpServletResponse response;

    ServletExchange(HttpServletRequest request, HttpServletResponse response) {
        this.request = request;
        this.response = response;
    }

    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String target() {
        String query = request.getQueryString();
        return request.getRequestURI() + (query == null ? "" : "?" + query);
    }

    /** The request path inside this webapp, decoded and normalized by the container. */
    @Override
    public String pathInContext() {
        String servletPath = request.getServletPath();
        String pathInfo = request.getPathInfo();
        String path = (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
        return path.isEmpty() ? "/" : path;
    }

    @Override
    public String contextPath() {
        return request.getContextPath();
    }

    @Override
    public String host() {
        return request.getServerName();
    }

    @Override
    public int port() {
        return request.getServerPort();
    }

    @Override
    public String scheme() {
        return request.getScheme();
    }

    @Override
    public Headers headers() {
        Headers headers = new Headers();
        // walked in place: Collections.list would copy every header into two lists per request
        for (Enumeration<String> names = request.getHeaderNames(); names.hasMoreElements(); ) {
            String name = names.nextElement();
            for (Enumeration<String> values = request.getHeaders(name);
                    values.hasMoreElements(); ) {
                headers.add(name, values.nextElement());
            }
        }
        return headers;
    }

    @Override
    public String clientAddress() {
        return request.getRemoteAddr();
    }

    @Override
    public long contentLength() {
        return request.getContentLengthLong();
    }

    @Override
    public void readBody(BodySink body) throws IOException {
        long length = request.getContentLengthLong();
        if (length == -1
                && request.getHeader("Transfer-Encoding") == null
                && request.getProtocol().startsWith("HTTP/1.")) {
            // an HTTP/1 request with neither header has no body (RFC 9112, 6.3): a GET does not
            // go through the container's blocking read to learn that (HTTP/2 may send one)
            length = 0;
        }
        if (length != 0) {
            InputStream in = request.getInputStream();
            // a body of unknown length may still be empty: no 8 KiB buffer until a byte comes
            int first = in.read();
            if (first != -1) {
                byte[] buffer = new byte[length > 0 && length < 8192 ? (int) length : 8192];
                buffer[0] = (byte) first;
                int n = buffer.length > 1 ? in.read(buffer, 1, buffer.length - 1) : 0;
                if (!body.append(ByteBuffer.wrap(buffer, 0, 1 + Math.max(n, 0)))) {
                    return;
                }
                while (n != -1) {
                    n = in.read(buffer);
                    if (n > 0 && !body.append(ByteBuffer.wrap(buffer, 0, n))) {
                        return;
                    }
                }
            }
        }
        body.end();
    }

    @Override
    public void setStatus(int status) {
        response.setStatus(status);
    }

    @Override
    public void setHeader(String name, String value) {
        response.setHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        response.addHeader(name, value);
    }

    @Override
    public void write(byte[] body, Runnable done) throws IOException {
        try {
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        } finally {
            done.run();
        }
    }

    /**
     * The servlet output stream, with the length set when it is known; {@code flush()} sends what
     * the container buffered, {@code close()} completes the response.
     */
    @Override
    public OutputStream openBody(long contentLength) throws IOException {
        if (contentLength >= 0) {
            response.setContentLengthLong(contentLength);
        }
        OutputStream out = response.getOutputStream();
        response.flushBuffer(); // commits the status and headers now, as the contract says
        return out;
    }

    @Override
    public void sendError(int status, String message, Runnable done) throws IOException {
        try {
            response.sendError(status, message);
        } finally {
            done.run();
        }
    }
}
