package dev.vivarium.core.outbound;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A real Jetty server on 127.0.0.1 (random port) for outbound HTTP tests:
 *
 * <ul>
 *   <li>{@code /fast} - 200 {@code fast};
 *   <li>{@code /slow} - 200 {@code slow} after {@link #SLOW_MILLIS} ms; counts how many overlap;
 *   <li>{@code /hang} - answers after 20 s (for timeouts and aborts);
 *   <li>{@code /echo} - 200, the method, every header as {@code name: value} and the body;
 *   <li>{@code /octets} - 200, request header {@code x-octets} back as a header and, as the bytes
 *       received, as the body;
 *   <li>{@code /status/N} - status N;
 *   <li>{@code /big?size=N[&chunked]} - N bytes of {@code x} (default 1 MiB), chunked if asked;
 *   <li>{@code /redirect} - 302 to {@code /fast};
 *   <li>{@code /set-cookie} - 200 with a {@code Set-Cookie};
 *   <li>{@code /gzip} - {@code hello} gzip-compressed, with {@code Content-Encoding: gzip}.
 * </ul>
 */
public final class TestUpstream implements AutoCloseable {
    public static final long SLOW_MILLIS = 300;

    private final Server server;
    private final ServerConnector connector;
    private final AtomicInteger slowActive = new AtomicInteger();
    private final AtomicInteger slowMaxActive = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final java.util.concurrent.CountDownLatch closing =
            new java.util.concurrent.CountDownLatch(1);

    private final String scheme;

    public TestUpstream() throws Exception {
        this(null, null);
    }

    /**
     * An {@code https} upstream (TLS only) with the key and certificate in {@code keyStore}, e.g.
     * one made by {@link TestCertificates}.
     */
    public static TestUpstream tls(Path keyStore, String password) throws Exception {
        return new TestUpstream(keyStore, password);
    }

    private TestUpstream(Path keyStore, String password) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("test-upstream");
        threads.setDaemon(true);
        server = new Server(threads);
        if (keyStore == null) {
            scheme = "http";
            connector = new ServerConnector(server);
        } else {
            scheme = "https";
            SslContextFactory.Server tls = new SslContextFactory.Server();
            tls.setKeyStorePath(keyStore.toString());
            tls.setKeyStorePassword(password);
            connector = new ServerConnector(server, tls);
        }
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Endpoints());
        server.start();
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://127.0.0.1:PORT} ({@code https} for {@link #tls}), no trailing slash. */
    public String base() {
        return scheme + "://127.0.0.1:" + port();
    }

    /** {@code http://127.0.0.1:PORT} for a port nothing listens on: connecting is refused. */
    public static String closedBase() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The most {@code /slow} requests that were being served at the same time. */
    public int slowMaxActive() {
        return slowMaxActive.get();
    }

    /** Requests received so far. */
    public int requests() {
        return requests.get();
    }

    /** The {@code /gzip} body. */
    public static byte[] gzipHello() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write("hello".getBytes(StandardCharsets.UTF_8));
            }
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        closing.countDown();
        server.stop();
    }

    private final class Endpoints extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback)
                throws Exception {
            requests.incrementAndGet();
            String path = Request.getPathInContext(request);
            response.getHeaders().put("content-type", "text/plain");
            if (path.equals("/fast")) {
                return send(response, callback, 200, "fast");
            }
            if (path.equals("/slow")) {
                int now = slowActive.incrementAndGet();
                slowMaxActive.accumulateAndGet(now, Math::max);
                try {
                    Thread.sleep(SLOW_MILLIS);
                } finally {
                    slowActive.decrementAndGet();
                }
                return send(response, callback, 200, "slow");
            }
            if (path.equals("/hang")) {
                closing.await(20, java.util.concurrent.TimeUnit.SECONDS);
                return send(response, callback, 200, "late");
            }
            if (path.equals("/echo")) {
                StringBuilder sb = new StringBuilder(request.getMethod()).append('\n');
                for (HttpField f : request.getHeaders()) {
                    sb.append(f.getName()).append(": ").append(f.getValue()).append('\n');
                }
                ByteBuffer body = Content.Source.asByteBuffer(request);
                sb.append('\n').append(StandardCharsets.UTF_8.decode(body));
                return send(response, callback, 200, sb.toString());
            }
            if (path.equals("/octets")) {
                // Jetty reads each header byte as one char: these are the bytes received
                String value = request.getHeaders().get("x-octets");
                response.getHeaders().put("x-octets", value);
                response.setStatus(200);
                response.write(
                        true,
                        ByteBuffer.wrap(value.getBytes(StandardCharsets.ISO_8859_1)),
                        callback);
                return true;
            }
            if (path.startsWith("/status/")) {
                return send(response, callback, Integer.parseInt(path.substring(8)), "");
            }
            if (path.equals("/big")) {
                String q = request.getHttpURI().getQuery();
                boolean chunked = q != null && q.endsWith("&chunked");
                if (chunked) {
                    q = q.substring(0, q.length() - "&chunked".length());
                }
                int size =
                        q != null && q.startsWith("size=")
                                ? Integer.parseInt(q.substring(5))
                                : 1 << 20;
                byte[] b = new byte[size];
                Arrays.fill(b, (byte) 'x');
                response.setStatus(200);
                if (chunked) {
                    // two writes and no length: the body arrives chunked, its size unknown
                    Content.Sink.write(response, false, ByteBuffer.wrap(b, 0, size / 2));
                    response.write(true, ByteBuffer.wrap(b, size / 2, size - size / 2), callback);
                } else {
                    response.write(true, ByteBuffer.wrap(b), callback);
                }
                return true;
            }
            if (path.equals("/redirect")) {
                response.getHeaders().put("location", "/fast");
                return send(response, callback, 302, "");
            }
            if (path.equals("/set-cookie")) {
                response.getHeaders().put("set-cookie", "session=secret; Path=/");
                return send(response, callback, 200, "cookie set");
            }
            if (path.equals("/gzip")) {
                response.getHeaders().put("content-encoding", "gzip");
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap(gzipHello()), callback);
                return true;
            }
            return send(response, callback, 404, "no such endpoint " + path);
        }

        private boolean send(Response response, Callback callback, int status, String body) {
            response.setStatus(status);
            response.write(true, StandardCharsets.UTF_8.encode(body), callback);
            return true;
        }
    }
}
