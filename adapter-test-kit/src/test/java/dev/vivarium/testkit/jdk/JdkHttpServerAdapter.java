package dev.vivarium.testkit.jdk;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.http.ServerExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A third adapter, test-only, to prove the seam: Vivarium as a filter of the JDK's {@code
 * com.sun.net.httpserver.HttpServer}, in front of a context's handler.
 */
final class JdkHttpServerAdapter extends Filter {
    private final Vivarium engine;

    JdkHttpServerAdapter(Vivarium engine) {
        this.engine = engine;
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        if (!engine.serve(new Exchange(exchange))) {
            chain.doFilter(exchange);
        }
    }

    @Override
    public String description() {
        return "Vivarium guests for the routes, the context's handler for the rest";
    }

    private static final class Exchange implements ServerExchange {
        private final HttpExchange x;
        private final URI uri;
        private final String host;
        private final int port;
        private int status = 200;

        Exchange(HttpExchange x) {
            this.x = x;
            this.uri = x.getRequestURI();
            String authority = x.getRequestHeaders().getFirst("Host");
            InetSocketAddress local = x.getLocalAddress();
            int colon = authority == null ? -1 : authority.lastIndexOf(':');
            if (authority == null || authority.isEmpty()) {
                host = local.getHostString(); // HTTP/1.0 without Host: where it came in
                port = local.getPort();
            } else if (colon > authority.lastIndexOf(']')) {
                host = authority.substring(0, colon);
                port = Integer.parseInt(authority.substring(colon + 1));
            } else {
                host = authority;
                port = -1;
            }
        }

        @Override
        public String method() {
            return x.getRequestMethod();
        }

        @Override
        public String target() {
            String query = uri.getRawQuery();
            return uri.getRawPath() + (query == null ? "" : "?" + query);
        }

        @Override
        public String pathInContext() {
            String path = uri.normalize().getPath().substring(contextPath().length());
            return path.startsWith("/") ? path : "/" + path;
        }

        @Override
        public String contextPath() {
            String context = x.getHttpContext().getPath();
            return context.endsWith("/") ? context.substring(0, context.length() - 1) : context;
        }

        @Override
        public String host() {
            return host;
        }

        @Override
        public int port() {
            return port;
        }

        @Override
        public String scheme() {
            return "http";
        }

        @Override
        public Headers headers() {
            Headers headers = new Headers();
            for (Map.Entry<String, List<String>> h : x.getRequestHeaders().entrySet()) {
                h.getValue().forEach(value -> headers.add(h.getKey(), value));
            }
            return headers;
        }

        @Override
        public String clientAddress() {
            return x.getRemoteAddress().getAddress().getHostAddress();
        }

        @Override
        public long contentLength() {
            String length = x.getRequestHeaders().getFirst("Content-Length");
            return length == null ? -1 : Long.parseLong(length.trim());
        }

        @Override
        public void readBody(BodySink body) throws IOException {
            InputStream in = x.getRequestBody();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) != -1; ) {
                if (!body.append(ByteBuffer.wrap(buffer, 0, n))) {
                    return;
                }
            }
            body.end();
        }

        @Override
        public void setStatus(int status) {
            this.status = status;
        }

        @Override
        public void setHeader(String name, String value) {
            x.getResponseHeaders().set(name, value);
        }

        @Override
        public void addHeader(String name, String value) {
            x.getResponseHeaders().add(name, value);
        }

        @Override
        public void write(byte[] body, Runnable done) throws IOException {
            try (OutputStream out = x.getResponseBody()) {
                // -1: no body at all, which 204 and 304 require
                x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
                out.write(body);
            } finally {
                x.close();
                done.run();
            }
        }

        /** The exchange's body stream; closing it closes the exchange. */
        @Override
        public OutputStream openBody(long contentLength) throws IOException {
            // 0 asks the JDK's server for chunked encoding, -1 for no body at all
            x.sendResponseHeaders(
                    status, contentLength < 0 ? 0 : contentLength == 0 ? -1 : contentLength);
            OutputStream body = x.getResponseBody();
            return new java.io.FilterOutputStream(body) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    try {
                        out.close();
                    } finally {
                        x.close();
                    }
                }
            };
        }

        @Override
        public void sendError(int status, String message, Runnable done) throws IOException {
            x.getResponseHeaders().set("Content-Type", "text/plain;charset=utf-8");
            this.status = status;
            write(message.getBytes(StandardCharsets.UTF_8), done);
        }
    }
}
