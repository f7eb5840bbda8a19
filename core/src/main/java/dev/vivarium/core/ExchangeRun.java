package dev.vivarium.core;

import dev.vivarium.core.deploy.AdminApi;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.http.ServerExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One routed request through a {@link ServerExchange}: the body bounded by {@code
 * maxRequestBodySize}, then the guest (or the admin API) run, then the outcome written and its
 * memory given back once the write is over. The one place adapters' requests go.
 */
final class ExchangeRun implements ServerExchange.BodySink {
    private static final Logger LOG = LoggerFactory.getLogger(Vivarium.class);

    /** The body of a request without one (most are GETs), shared: it is never written to. */
    private static final byte[] NO_BODY = new byte[0];

    private final Vivarium engine;
    private final ServerExchange exchange;
    private final Route route; // null: the admin API's request
    private final AdminApi admin;
    private final long max;
    private byte[] body;
    private int size;
    private boolean over;

    ExchangeRun(Vivarium engine, ServerExchange exchange, Route route, AdminApi admin) {
        this.engine = engine;
        this.exchange = exchange;
        this.route = route;
        this.admin = admin;
        this.max = engine.options().maxRequestBodySize();
    }

    void start() throws IOException {
        long length = exchange.contentLength();
        if (length > max) {
            // refused on its Content-Length, before reading a byte of it
            over = true;
            respond(tooLarge());
            return;
        }
        // a known length is allocated once; a chunked body grows as it arrives
        body = length <= 0 ? NO_BODY : new byte[(int) Math.min(length, Integer.MAX_VALUE - 8)];
        exchange.readBody(this);
    }

    @Override
    public boolean append(ByteBuffer bytes) throws IOException {
        if (over) {
            return false;
        }
        int n = bytes.remaining();
        if (n > max - size) {
            over = true;
            body = null;
            respond(tooLarge());
            return false;
        }
        if (size + n > body.length) {
            long grown = Math.max(size + n, Math.min(max, Math.max(256L, 2L * body.length)));
            body = Arrays.copyOf(body, (int) Math.min(grown, Integer.MAX_VALUE - 8));
        }
        bytes.get(body, size, n);
        size += n;
        return true;
    }

    @Override
    public void end() throws IOException {
        if (over) {
            return;
        }
        over = true;
        byte[] bytes = size == body.length ? body : Arrays.copyOf(body, size);
        body = null;
        Outcome outcome;
        try {
            GuestRequest request = request(bytes);
            outcome =
                    route == null
                            ? admin.handle(request, exchange.scheme())
                            : engine.handleUntilReleased(route, request, exchange::clientGone);
        } catch (RuntimeException e) {
            // a host bug, not a guest fault: the client still gets an answer
            LOG.error("{}: failed to serve {}", name(), exchange.target(), e);
            outcome = Outcome.failure(Outcome.Kind.HOST_ERROR, 500, "internal error in " + name());
        }
        respond(outcome);
    }

    private String name() {
        return route == null ? "vivarium-admin" : route.guestName();
    }

    private Outcome tooLarge() {
        return route == null ? admin.tooLarge(max) : Vivarium.requestTooLarge(max);
    }

    private GuestRequest request(byte[] bytes) {
        Headers headers = exchange.headers();
        // HTTP/2 and HTTP/3 carry the host as :authority, and HTTP/1.0 may leave it out; guests
        // read Host, so they get the authority the server made of the request (for HTTP/1.0
        // without Host, the address it came in on)
        if (headers.first("host") == null) {
            headers.add("host", authority());
        }
        String target = exchange.target();
        if (target == null || target.isEmpty()) {
            target = "/";
        }
        // guests see the target as the client sent it; the admin API reads the path below its
        // admin.path, which is relative to the context
        if (route == null) {
            target = inContext(target, exchange.contextPath());
        }
        return new GuestRequest(
                exchange.method(),
                target,
                exchange.host(),
                headers,
                bytes,
                exchange.clientAddress());
    }

    /** {@code host[:port]}, the port left out when it is the scheme's default. */
    private String authority() {
        int port = exchange.port();
        String scheme = exchange.scheme();
        boolean defaultPort =
                port <= 0
                        || (port == 80 && "http".equals(scheme))
                        || (port == 443 && "https".equals(scheme));
        return exchange.host() + (defaultPort ? "" : ":" + port);
    }

    /**
     * The raw target without the context path. A client that spells the context path differently
     * (escaped) keeps the whole target, which the admin API refuses with a message saying to write
     * the path without escapes.
     */
    static String inContext(String target, String contextPath) {
        if (contextPath == null || contextPath.isEmpty() || contextPath.equals("/")) {
            return target;
        }
        return target.startsWith(contextPath) ? target.substring(contextPath.length()) : target;
    }

    /**
     * Writes a streamed body; the exchange's memory is given back when the stream is closed. A
     * client that leaves mid-stream has already failed the exchange, so it is only logged.
     */
    private void stream(Outcome outcome) {
        try (OutputStream out = exchange.openBody(outcome.contentLength())) {
            outcome.writer().writeTo(out);
        } catch (IOException e) {
            LOG.debug(
                    "{}: streamed response to {} ended: {}",
                    name(),
                    exchange.target(),
                    e.toString());
        } finally {
            outcome.release();
        }
    }

    private void respond(Outcome outcome) throws IOException {
        // the bodies stay counted in maxTotalMemory until the response is written or has failed
        try {
            if (outcome.isOk()) {
                exchange.setStatus(outcome.status());
                outcome.headers()
                        .writeEndToEnd(
                                (name, value, first) -> {
                                    if (first) {
                                        exchange.setHeader(name, value);
                                    } else {
                                        exchange.addHeader(name, value);
                                    }
                                });
                if (outcome.writer() != null) {
                    stream(outcome);
                } else {
                    exchange.write(outcome.body(), outcome::release);
                }
            } else if (outcome.kind() == Outcome.Kind.CLIENT_GONE) {
                exchange.abandon(outcome.status(), outcome.message(), outcome::release);
            } else {
                // e.g. Retry-After on a 503 of a full deployment
                outcome.headers()
                        .writeEndToEnd((name, value, first) -> exchange.addHeader(name, value));
                exchange.sendError(outcome.status(), outcome.message(), outcome::release);
            }
        } catch (IOException | RuntimeException | Error e) {
            outcome.release();
            throw e;
        }
    }
}
