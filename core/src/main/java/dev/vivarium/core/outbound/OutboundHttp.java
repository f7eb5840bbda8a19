package dev.vivarium.core.outbound;

import dev.vivarium.core.Headers;
import dev.vivarium.core.dns.DnsResolver;
import dev.vivarium.core.resources.HostBuffers;
import dev.vivarium.core.routing.RouteSpec;
import java.net.SocketTimeoutException;
import java.security.cert.CertPathBuilderException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLException;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's outbound HTTP client, shared by every guest request, and the factory of per-request
 * {@link OutboundSession}s.
 *
 * <p>It runs on Jetty's {@link HttpClient}, chosen because it is asynchronous at heart: {@code
 * send_async} starts a real concurrent request and holds no thread while it waits, and {@link
 * Request#abort} cancels one at any stage. Its {@link org.eclipse.jetty.util.SocketAddressResolver}
 * hook lets us check the addresses a connection will actually use (see {@link GuardedResolver}),
 * which {@code java.net.http.HttpClient} cannot do. It is also already on the classpath of Jetty
 * deployments. The client is configured to pass requests and responses through unchanged: no
 * redirects followed, no cookies kept, no automatic decompression, no added {@code User-Agent}.
 *
 * <p>The client starts with the first route that may send requests (or the first request), so
 * engines whose routes allow no outbound destination cost nothing. A route starts it on a thread of
 * its own (its TLS context takes 100 ms or more at a JVM's start), so the engine's start goes on
 * meanwhile; the first request that needs it waits for it.
 */
public final class OutboundHttp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.outbound");

    private final OutboundOptions options;
    private final DnsResolver dns;
    private final OutboundPolicy global;
    private HttpClient client;

    /** The client being started in the background ({@link #policy}), until {@link #client}. */
    private CompletableFuture<HttpClient> starting;

    private boolean closed;
    private final LongAdder[] results = new LongAdder[Result.values().length];

    /**
     * What became of a guest's outbound request, as counted by the meter {@code
     * vivarium.outbound.requests}: {@code ok} a response came back (whatever its status), {@code
     * refused} the host did not send it (the allowlist, a bad URL or method, a limit, the
     * deadline), {@code failed} it was sent but no usable response came (connect, TLS, timeout,
     * upstream error, a response limit).
     */
    public enum Result {
        OK,
        REFUSED,
        FAILED;

        /** The meter's tag value. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private OutboundHttp(OutboundOptions options, DnsResolver dns) {
        this.options = Objects.requireNonNull(options, "options");
        this.dns = dns;
        this.global =
                OutboundPolicy.parse(
                        "(all routes)", options.allow(), "Vivarium setting 'outbound.allow'");
        for (int i = 0; i < results.length; i++) {
            results[i] = new LongAdder();
        }
    }

    /** Outbound requests of all guests that ended with {@code result}, since the start. */
    public long count(Result result) {
        return results[result.ordinal()].sum();
    }

    void counted(Result result) {
        results[result.ordinal()].increment();
    }

    /**
     * @param dns resolves names at connect time; null allows only IP literals and {@code localhost}
     */
    public static OutboundHttp start(OutboundOptions options, DnsResolver dns) {
        return new OutboundHttp(options, dns);
    }

    public OutboundOptions options() {
        return options;
    }

    /**
     * The route's allowlist: its {@code outbound=} entries plus {@code outbound.allow}.
     *
     * @throws dev.vivarium.core.config.ConfigurationException naming the route and the bad entry
     */
    public OutboundPolicy policy(RouteSpec route) {
        Objects.requireNonNull(route, "route");
        OutboundPolicy p =
                OutboundPolicy.parse(
                                route.toString(),
                                route.outbound(),
                                "the 'outbound' parameter of route '" + route + "'")
                        .plus(global);
        if (!p.isEmpty()) {
            // start now, not inside a guest request where the deadline watchdog's interrupt
            // could break the start, and on a thread of its own, not holding up the engine's
            startInBackground();
        }
        return p;
    }

    /**
     * Opens the outbound state of one guest request.
     *
     * @param deadlineNanos {@code System.nanoTime()} by which the guest request must end
     */
    public OutboundSession openSession(
            String guestName, OutboundPolicy policy, long deadlineNanos) {
        return openSession(guestName, policy, deadlineNanos, null);
    }

    /**
     * As {@link #openSession(String, OutboundPolicy, long)}, with the bodies of its requests and
     * responses held in {@code buffers} (the engine's {@code maxTotalMemory}) until it closes.
     */
    public OutboundSession openSession(
            String guestName, OutboundPolicy policy, long deadlineNanos, HostBuffers buffers) {
        return openSession(guestName, policy, deadlineNanos, buffers, null, List.of(Hops.CDN_ID));
    }

    /**
     * As {@link #openSession(String, OutboundPolicy, long, HostBuffers)}, for a request of a
     * deployment with its own outbound share.
     *
     * @param quota the deployment's outbound share; null for none (tests)
     * @param loop the {@code CDN-Loop} values its requests carry ({@link Hops#next})
     */
    public OutboundSession openSession(
            String guestName,
            OutboundPolicy policy,
            long deadlineNanos,
            HostBuffers buffers,
            OutboundQuota quota,
            List<String> loop) {
        return new OutboundSession(this, guestName, policy, deadlineNanos, buffers, quota, loop);
    }

    /**
     * Starts sending {@code request}; the result completes with the response or an {@link
     * OutboundFailure} saying why there is none.
     *
     * @param timeoutMillis the total time the request may take, at least 1
     * @param budget what the guest request may still receive in response bodies, shared by its
     *     requests
     */
    InFlight send(OutboundRequest request, long timeoutMillis, ResponseBudget budget) {
        return send(request, timeoutMillis, budget, null, List.of(Hops.CDN_ID));
    }

    /**
     * As {@link #send(OutboundRequest, long, ResponseBudget)}, on the connections of deployment
     * {@code tag} (null: the shared ones), with {@code loop} as its {@code CDN-Loop} header.
     */
    InFlight send(
            OutboundRequest request,
            long timeoutMillis,
            ResponseBudget budget,
            Object tag,
            List<String> loop) {
        Request req =
                client().newRequest(request.url().toUri())
                        .method(request.method())
                        .tag(tag)
                        .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
                        .headers(
                                h -> {
                                    Headers headers = request.headers();
                                    for (int i = 0; i < headers.size(); i++) {
                                        if (!OutboundRequest.isHostOwned(headers.nameAt(i))) {
                                            h.add(headers.nameAt(i), headers.valueAt(i));
                                        }
                                    }
                                    for (String v : loop) {
                                        h.add("CDN-Loop", v);
                                    }
                                });
        if (request.body().length > 0) {
            // null content type: the guest's own content-type header, if any, is the only one
            req.body(new BytesRequestContent((String) null, request.body()));
        }
        boolean head = HttpMethod.HEAD.is(request.method());
        ResponseBudget.Share share = budget.share();
        req.onResponseHeaders(
                response -> {
                    // HEAD, 204 and 304 declare a length but carry no body (RFC 9110 8.6)
                    if (head || response.getStatus() == 204 || response.getStatus() == 304) {
                        return;
                    }
                    long declared = response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
                    OutboundFailure refused = declared > 0 ? share.admit(declared) : null;
                    if (refused != null) {
                        response.abort(refused);
                    }
                });
        req.onResponseContent(
                (response, content) -> {
                    OutboundFailure refused = share.take(content.remaining());
                    if (refused != null) {
                        response.abort(refused);
                    }
                });
        CompletableFuture<OutboundResponse> result = new CompletableFuture<>();
        new CompletableResponseListener(req, (int) options.maxResponseSize())
                .send()
                .whenComplete(
                        (response, failure) -> {
                            if (failure != null) {
                                share.failed();
                                result.completeExceptionally(explain(failure, timeoutMillis));
                            } else {
                                result.complete(convert(response));
                            }
                        });
        return new InFlight(
                request,
                result,
                () -> req.abort(new OutboundFailure("aborted: the guest request ended")));
    }

    private static OutboundResponse convert(ContentResponse response) {
        Headers headers = new Headers();
        for (HttpField f : response.getHeaders()) {
            headers.add(f.getName(), f.getValue() == null ? "" : f.getValue());
        }
        return new OutboundResponse(response.getStatus(), headers, response.getContent());
    }

    /** Words the client's failure for the log line, naming the limit that was hit if one was. */
    private OutboundFailure explain(Throwable failure, long timeoutMillis) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof OutboundFailure f) {
                return f;
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLException) {
                if (hasCause(c, CertPathBuilderException.class)) {
                    // no chain from the server's certificate to a trusted CA
                    return new OutboundFailure(
                            "TLS: the server's certificate is not issued by a trusted CA"
                                    + " (outbound.trustStore: "
                                    + (options.trustStore() == null
                                            ? "the JDK's default CAs"
                                            : options.trustStore())
                                    + ")");
                }
                return new OutboundFailure("TLS handshake failed: " + c.getMessage());
            }
        }
        String m = String.valueOf(t.getMessage());
        if (t instanceof TimeoutException) {
            return new OutboundFailure(
                    "no response within "
                            + timeoutMillis
                            + " ms (outbound.timeout, or what was left of the guest's deadline)");
        }
        if (t instanceof IllegalArgumentException && m.contains("capacity")) {
            return new OutboundFailure(
                    "response body larger than outbound.maxResponseSize ("
                            + options.maxResponseSize()
                            + " bytes)");
        }
        if (t instanceof SocketTimeoutException
                || m.toLowerCase(Locale.ROOT).contains("connect timeout")) {
            return new OutboundFailure(
                    "cannot connect within "
                            + options.connectTimeout().toMillis()
                            + " ms (outbound.connectTimeout)");
        }
        return new OutboundFailure("upstream error: " + OutboundFailure.of(t).getMessage());
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private synchronized void startInBackground() {
        if (client != null || starting != null || closed) {
            return;
        }
        starting =
                CompletableFuture.supplyAsync(
                        this::newClient,
                        task -> {
                            Thread t = new Thread(task, "vivarium-outbound-start");
                            t.setDaemon(true);
                            t.start();
                        });
    }

    /** The client, started on first use (or waited for, if it is starting). */
    private HttpClient client() {
        CompletableFuture<HttpClient> pending;
        synchronized (this) {
            if (closed) {
                throw new OutboundFailure("the engine is shutting down");
            }
            if (client != null) {
                return client;
            }
            if (starting == null) {
                client = newClient();
                return client;
            }
            pending = starting;
        }
        HttpClient started;
        try {
            started = pending.get();
        } catch (InterruptedException e) {
            // the request's deadline: the start goes on, for the next request
            Thread.currentThread().interrupt();
            throw new OutboundFailure("interrupted while the outbound HTTP client was starting");
        } catch (java.util.concurrent.ExecutionException e) {
            synchronized (this) {
                if (starting == pending) {
                    starting = null; // the next request tries again
                }
            }
            throw e.getCause() instanceof RuntimeException r
                    ? r
                    : new IllegalStateException(e.getCause());
        }
        synchronized (this) {
            if (closed) {
                throw new OutboundFailure("the engine is shutting down");
            }
            if (client == null) {
                client = started;
                starting = null;
            }
            return client;
        }
    }

    private HttpClient newClient() {
        QueuedThreadPool threads = new QueuedThreadPool(64, 2);
        threads.setName("vivarium-outbound");
        threads.setDaemon(true);
        HttpClient c = new HttpClient();
        c.setName("vivarium-outbound");
        c.setExecutor(threads);
        c.setScheduler(new ScheduledExecutorScheduler("vivarium-outbound-scheduler", true));
        c.setSocketAddressResolver(new GuardedResolver(dns, threads, options.timeout()));
        c.setConnectTimeout(options.connectTimeout().toMillis());
        c.setIdleTimeout(30_000);
        c.setFollowRedirects(false);
        c.setHttpCookieStore(new HttpCookieStore.Empty());
        c.setUserAgentField(null);
        c.setDefaultRequestContentType(null);
        // requests are tagged with their deployment, so each deployment has its own pool per
        // destination: one tenant's requests cannot take the connections another's need
        c.setMaxConnectionsPerDestination(options.maxConnections());
        if (options.trusted() != null) {
            // replaces the JDK's trusted CAs; host names are verified either way (the client's
            // endpoint identification algorithm is HTTPS by default)
            SslContextFactory.Client tls = new SslContextFactory.Client();
            tls.setTrustStore(options.trusted());
            c.setSslContextFactory(tls);
        }
        try {
            c.start();
        } catch (Exception e) {
            try {
                c.stop();
            } catch (Exception ignored) {
                // already failing; the first exception says why
            }
            if (e instanceof InterruptedException || e.getCause() instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("cannot start the outbound HTTP client: " + e, e);
        }
        // cleared once started, since starting installs the defaults: no gzip decoding (and no
        // Accept-Encoding added), no redirect, authentication or 100-continue handling
        c.getContentDecoderFactories().clear();
        c.getProtocolHandlers().clear();
        LOG.debug("outbound HTTP client started: {}", options);
        return c;
    }

    /** Stops the client, aborting whatever is still in flight. */
    @Override
    public void close() {
        HttpClient c;
        CompletableFuture<HttpClient> pending;
        synchronized (this) {
            closed = true;
            c = client;
            client = null;
            pending = starting;
            starting = null;
        }
        if (pending != null && c == null) {
            // still starting, or started and never taken: stopped once it is up
            try {
                c = pending.join();
            } catch (RuntimeException e) {
                return; // it did not start: nothing to stop
            }
        }
        if (c != null) {
            try {
                c.stop();
            } catch (Exception e) {
                LOG.warn("stopping the outbound HTTP client failed", e);
            }
        }
    }
}
