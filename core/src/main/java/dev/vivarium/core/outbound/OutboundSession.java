package dev.vivarium.core.outbound;

import dev.vivarium.core.resources.HostBuffers;
import dev.vivarium.core.resources.NoMemoryException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound HTTP state of one guest request: its limits, what it sent and holds, and the verbs
 * that create, send and wait for requests. It speaks requests, responses and {@link
 * OutboundFailure}s, never the ABI's handles or codes: the ABI layer keeps the guest's handles (in
 * its per-request context) and turns a failure into {@code -1}. Closing the session gives back what
 * its bodies held; aborting what is still in flight is for the holder of the handles.
 *
 * <p>Every refusal and failure is logged at INFO on logger {@code vivarium.outbound}, with the
 * guest and its route, before it is thrown. Single-threaded, like the guest it serves; only the
 * responses arrive on other threads.
 */
public final class OutboundSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.outbound");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");

    /** How long past the deadline a wait may last before the host gives up on its own. */
    private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final OutboundHttp http;

    /** Refusals logged per guest request; later ones are counted and reported at close. */
    private static final int LOGGED_REFUSALS = 10;

    private final OutboundOptions limits;
    private final String guestName;
    private final OutboundPolicy policy;
    private final long deadlineNanos;
    private int refusals;
    private long requestBodyBytes;
    private final ResponseBudget budget;
    private final HostBuffers buffers;
    private final OutboundQuota quota;
    private final List<String> loop;
    private final int hops;
    private int sent;

    OutboundSession(
            OutboundHttp http,
            String guestName,
            OutboundPolicy policy,
            long deadlineNanos,
            HostBuffers buffers,
            OutboundQuota quota,
            List<String> loop) {
        this.http = http;
        this.limits = http.options();
        this.guestName = Objects.requireNonNull(guestName, "guestName");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.deadlineNanos = deadlineNanos;
        this.buffers = buffers;
        this.budget = new ResponseBudget(limits.maxTotalResponseSize(), buffers);
        this.quota = quota;
        this.loop = List.copyOf(loop);
        this.hops = Hops.count(this.loop);
    }

    /** The session's limits ({@code outbound.*}). */
    public OutboundOptions limits() {
        return limits;
    }

    /**
     * {@code req_create}: a new request.
     *
     * @throws OutboundFailure for a bad method or URL, or a destination outside the allowlist
     */
    public OutboundRequest create(String method, String url) {
        if (!TOKEN.matcher(method).matches()) {
            throw refuse("refused request with method '" + method + "' (not an HTTP token)");
        }
        if (method.equalsIgnoreCase("CONNECT")) {
            // a tunnel would carry anything to anywhere the allowlist names, unchecked
            throw refuse("refused request with method CONNECT");
        }
        OutboundUrl parsed;
        try {
            parsed = OutboundUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw refuse("refused URL '" + abbreviate(url) + "': " + e.getMessage());
        }
        if (!policy.allows(parsed)) {
            throw refuse(
                    "refused "
                            + dev.vivarium.core.log.Clip.clip(parsed.toString(), 200)
                            + ": not in the route's outbound allowlist "
                            + policy);
        }
        return new OutboundRequest(method, parsed);
    }

    /** {@code req_set_header} on a created request: replaces one header. */
    public void setHeader(OutboundRequest r, String name, List<String> values) {
        r.setHeader(name, values);
    }

    /**
     * {@code req_set_body} on a created request. The bodies of this guest request's requests may
     * not exceed {@code outbound.maxTotalRequestSize} (a sent request's body counts until the guest
     * request ends: the client may still be sending it); they are also held in the engine's memory
     * limit until then.
     *
     * @throws OutboundFailure if the bodies would exceed {@code outbound.maxTotalRequestSize}
     * @throws NoMemoryException if the engine's memory limit has no room
     */
    public void setBody(OutboundRequest r, byte[] body) {
        long after = requestBodyBytes - r.body().length + body.length;
        if (after > limits.maxTotalRequestSize()) {
            throw refuse(
                    "refused a body of "
                            + body.length
                            + " bytes for "
                            + r
                            + ": request bodies of this guest request would exceed"
                            + " outbound.maxTotalRequestSize ("
                            + limits.maxTotalRequestSize()
                            + " bytes)");
        }
        if (buffers != null) {
            long more = body.length - r.body().length;
            if (more > 0) {
                // no room is a 503 for the guest request (NoMemoryException)
                buffers.hold(more, "outbound request body");
            } else {
                buffers.release(-more);
            }
        }
        requestBodyBytes = after;
        r.setBody(body);
    }

    /**
     * {@code req_send}: sends the request and waits for its response.
     *
     * @throws OutboundFailure if it was refused or failed
     * @throws InterruptedException if the guest's deadline passes while waiting; the request is
     *     aborted
     */
    public OutboundResponse send(OutboundRequest r) throws InterruptedException {
        InFlight f;
        try {
            f = start(r);
        } catch (OutboundFailure e) {
            if (Thread.interrupted()) {
                // the deadline passed while starting (maybe why it failed): the interrupt ends it
                throw new InterruptedException();
            }
            throw e;
        }
        if (Thread.interrupted()) {
            // the deadline passed while starting: stop here, not at the wait
            f.abort();
            throw new InterruptedException();
        }
        return await(f);
    }

    /**
     * Starts a request ({@code req_send_async}, and the first half of {@code req_send}).
     *
     * @throws OutboundFailure if a limit, the deadline or the client refused it
     */
    public InFlight start(OutboundRequest r) {
        if (sent >= limits.maxSubrequests()) {
            throw refuse(
                    "refused "
                            + r
                            + ": this guest request already sent "
                            + sent
                            + " requests (outbound.maxSubrequests)");
        }
        long remainingNanos = remainingNanos();
        if (remainingNanos <= 0) {
            throw refuse("refused " + r + ": the guest request's deadline has passed");
        }
        if (hops > limits.maxHops()) {
            throw refuse(
                    "refused "
                            + r
                            + ": it would be the request's hop "
                            + hops
                            + " through Vivarium guests, more than outbound.maxHops ("
                            + limits.maxHops()
                            + "; counted in its CDN-Loop header)");
        }
        if (quota != null && !quota.tryAcquire()) {
            throw refuse(
                    "refused "
                            + r
                            + ": deployment "
                            + quota.deployment()
                            + " already has "
                            + quota.max()
                            + " outbound requests in flight (outbound.maxConcurrent)");
        }
        sent++;
        InFlight f;
        try {
            f =
                    http.send(
                            r,
                            timeoutMillis(remainingNanos, limits.timeout()),
                            budget,
                            quota == null ? null : quota.deployment(),
                            loop);
        } catch (RuntimeException e) {
            if (quota != null) {
                quota.release();
            }
            throw refuse("failed to start " + r + ": " + OutboundFailure.of(e).getMessage());
        }
        if (quota != null) {
            // however it ends: a response, a failure, an abort at the guest request's end
            f.result().whenComplete((response, failure) -> quota.release());
        }
        return f;
    }

    /**
     * Waits (until just past the deadline) for a started request ({@code pending_req_wait}).
     *
     * @throws OutboundFailure if it failed
     * @throws InterruptedException if the guest's deadline passes while waiting; the request is
     *     aborted
     */
    public OutboundResponse await(InFlight f) throws InterruptedException {
        try {
            return received(f, f.await(remainingNanos() + GRACE_NANOS));
        } catch (OutboundFailure e) {
            throw failed(f, e);
        }
    }

    /**
     * The response of a request that {@link InFlight#isDone() is done} ({@code pending_req_poll},
     * {@code pending_req_select}).
     *
     * @throws OutboundFailure if it failed
     */
    public OutboundResponse finish(InFlight f) {
        try {
            return received(f, f.outcome());
        } catch (OutboundFailure e) {
            throw failed(f, e);
        }
    }

    /**
     * Waits until one of {@code started} is done ({@code pending_req_select}) and returns its
     * index; {@link #finish} gives its outcome. If none is done just past the deadline, the first
     * is given up on and returned (a backstop: every request's own timeout ends before the
     * deadline).
     *
     * @throws InterruptedException if the guest's deadline passes; every one is aborted
     */
    public int select(List<InFlight> started) throws InterruptedException {
        CompletableFuture<?>[] futures = new CompletableFuture<?>[started.size()];
        for (int i = 0; i < futures.length; i++) {
            futures[i] = started.get(i).result();
        }
        try {
            CompletableFuture.anyOf(futures)
                    .get(Math.max(0, remainingNanos() + GRACE_NANOS), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            // one finished with a failure: found below like any other finished one
        } catch (TimeoutException e) {
            started.get(0).giveUp(new OutboundFailure("no response before the deadline"));
            return 0;
        } catch (InterruptedException e) {
            started.forEach(InFlight::abort);
            throw e;
        }
        for (int i = 0; i < futures.length; i++) {
            if (started.get(i).isDone()) {
                return i;
            }
        }
        throw new IllegalStateException("select woke up with nothing done");
    }

    /**
     * Logs and counts a refusal the caller decided on (a handle table of the ABI is full), and
     * returns it to throw.
     */
    public OutboundFailure refuse(String why) {
        http.counted(OutboundHttp.Result.REFUSED);
        // a guest looping on a refused call must not flood the log: the first few say why
        if (++refusals <= LOGGED_REFUSALS) {
            LOG.info(
                    "outbound request from {} (route {}) {}{}",
                    guestName,
                    policy.route(),
                    why,
                    refusals == LOGGED_REFUSALS ? "; further refusals are only counted" : "");
        }
        return new OutboundFailure(why);
    }

    /** Requests sent so far by this guest request. */
    public int sent() {
        return sent;
    }

    /** Gives back what the bodies held; the holder of the handles aborts what is in flight. */
    @Override
    public void close() {
        if (refusals > LOGGED_REFUSALS) {
            LOG.info(
                    "outbound: {} (route {}) had {} requests refused in one guest request",
                    guestName,
                    policy.route(),
                    refusals);
        }
        budget.close();
        if (buffers != null) {
            buffers.release(requestBodyBytes);
            requestBodyBytes = 0;
        }
    }

    // --- internals ----------------------------------------------------------------------------

    private OutboundResponse received(InFlight f, OutboundResponse response) {
        http.counted(OutboundHttp.Result.OK);
        LOG.debug("{} {}: {} ({} bytes)", guestName, f, response.status(), response.body().length);
        return response;
    }

    private OutboundFailure failed(InFlight f, OutboundFailure e) {
        http.counted(OutboundHttp.Result.FAILED);
        LOG.info(
                "outbound {} from {} (route {}) failed: {}",
                f,
                guestName,
                policy.route(),
                e.getMessage());
        return e;
    }

    /**
     * The outbound request's own timeout: {@code outbound.timeout}, but never before the guest's
     * deadline. Rounded up to whole milliseconds: rounded down it could fire just before the
     * deadline, and the guest would get -1 in time to answer, where it must end with 504.
     */
    static long timeoutMillis(long remainingNanos, Duration outboundTimeout) {
        long untilDeadline = (remainingNanos + 999_999) / 1_000_000;
        return Math.max(1, Math.min(outboundTimeout.toMillis(), untilDeadline));
    }

    private long remainingNanos() {
        return deadlineNanos - System.nanoTime();
    }

    private static String abbreviate(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "…" : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
