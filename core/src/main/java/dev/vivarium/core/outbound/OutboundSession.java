package dev.vivarium.core.outbound;

import dev.vivarium.core.resources.HandleTable;
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
 * The outbound HTTP state of one guest request: the requests it created, the ones in flight
 * (pending) and the responses it received, each in its own bounded {@link HandleTable}, plus the
 * request's limits. Closing it aborts anything still in flight.
 *
 * <p>The verbs return handles and the ABI's values ({@value #ERROR} for every failure, {@value
 * #NOT_READY} from {@link #poll}); why a request failed is logged at INFO on logger {@code
 * vivarium.outbound}, with the guest and its route. Single-threaded, like the guest it serves; only
 * the responses arrive on other threads.
 */
public final class OutboundSession implements AutoCloseable {
    /** The ABI's error value for every kind of handle. */
    public static final int ERROR = -1;

    /** {@code pending_req_poll}: not done yet, the pending handle stays valid. */
    public static final int NOT_READY = -2;

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
    private final HandleTable<OutboundRequest> requests;
    private final HandleTable<InFlight> pending;
    private final HandleTable<OutboundResponse> responses;
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
        // a guest never holds more requests or responses than it may send
        int max = Math.max(1, limits.maxSubrequests());
        this.requests = new HandleTable<>("request", max);
        this.pending = new HandleTable<>("pending request", limits.maxPending());
        this.responses = new HandleTable<>("response", max);
        this.buffers = buffers;
        this.budget = new ResponseBudget(limits.maxTotalResponseSize(), buffers);
        this.quota = quota;
        this.loop = List.copyOf(loop);
        this.hops = Hops.count(this.loop);
    }

    /** The result of {@link #select}: which pending handle finished, and its response or -1. */
    public record Selected(int pending, int response) {}

    /** {@code req_create}: a new request handle, or -1 for a bad method, bad URL or refusal. */
    public int create(String method, String url) {
        if (!TOKEN.matcher(method).matches()) {
            return refuse("refused request with method '" + method + "' (not an HTTP token)");
        }
        if (method.equalsIgnoreCase("CONNECT")) {
            // a tunnel would carry anything to anywhere the allowlist names, unchecked
            return refuse("refused request with method CONNECT");
        }
        OutboundUrl parsed;
        try {
            parsed = OutboundUrl.parse(url);
        } catch (IllegalArgumentException e) {
            return refuse("refused URL '" + abbreviate(url) + "': " + e.getMessage());
        }
        if (!policy.allows(parsed)) {
            return refuse(
                    "refused "
                            + dev.vivarium.core.log.Clip.clip(parsed.toString(), 200)
                            + ": not in the route's outbound allowlist "
                            + policy);
        }
        int h = requests.insert(new OutboundRequest(method, parsed));
        if (h < 0) {
            return refuse(
                    "refused "
                            + parsed
                            + ": more than "
                            + limits.maxSubrequests()
                            + " unsent requests (outbound.maxSubrequests)");
        }
        return h;
    }

    /** A request created by this guest and not sent yet, or null. */
    public OutboundRequest request(int handle) {
        return requests.get(handle);
    }

    /** {@code req_set_header} on a created request; false if the handle is not one. */
    public boolean setHeader(int handle, String name, List<String> values) {
        OutboundRequest r = requests.get(handle);
        if (r == null) {
            return false;
        }
        r.setHeader(name, values);
        return true;
    }

    /**
     * {@code req_set_body} on a created request; false if the handle is not one, or if the bodies
     * of this guest request's requests would exceed {@code outbound.maxTotalRequestSize} (a sent
     * request's body counts until the guest request ends: the client may still be sending it). The
     * bodies are also held in the engine's memory limit until then.
     *
     * @throws NoMemoryException if that has no room
     */
    public boolean setBody(int handle, byte[] body) {
        OutboundRequest r = requests.get(handle);
        if (r == null) {
            return false;
        }
        long after = requestBodyBytes - r.body().length + body.length;
        if (after > limits.maxTotalRequestSize()) {
            refuse(
                    "refused a body of "
                            + body.length
                            + " bytes for "
                            + r
                            + ": request bodies of this guest request would exceed"
                            + " outbound.maxTotalRequestSize ("
                            + limits.maxTotalRequestSize()
                            + " bytes)");
            return false;
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
        return true;
    }

    /**
     * {@code req_send}: sends the request (consuming its handle) and waits for the response.
     *
     * @return a response handle, or -1
     * @throws InterruptedException if the guest's deadline passes while waiting; the request is
     *     aborted
     */
    public int send(int handle) throws InterruptedException {
        InFlight f = start(handle);
        if (Thread.interrupted()) {
            // the deadline passed while starting: stop here, not at the wait
            if (f != null) {
                f.abort();
            }
            throw new InterruptedException();
        }
        return waitFor(f);
    }

    /**
     * {@code req_send_async}: starts the request (consuming its handle); a pending handle or -1.
     */
    public int sendAsync(int handle) {
        if (requests.get(handle) != null && pending.live() >= limits.maxPending()) {
            requests.take(handle);
            return refuse(
                    "refused to start another request: "
                            + limits.maxPending()
                            + " already in flight (outbound.maxPending)");
        }
        InFlight f = start(handle);
        if (f == null) {
            return ERROR;
        }
        int h = pending.insert(f);
        if (h < 0) {
            f.abort();
            return refuse("refused " + f + ": no pending-request handle left");
        }
        return h;
    }

    /** {@code pending_req_wait}: consumes the pending handle; a response handle or -1. */
    public int await(int handle) throws InterruptedException {
        return waitFor(pending.take(handle));
    }

    /**
     * {@code pending_req_poll}: {@value #NOT_READY} if still running (the handle stays valid);
     * otherwise consumes it and returns a response handle or -1.
     */
    public int poll(int handle) {
        InFlight f = pending.get(handle);
        if (f == null) {
            return ERROR;
        }
        if (!f.isDone()) {
            return NOT_READY;
        }
        pending.take(handle);
        return finish(f);
    }

    /**
     * {@code pending_req_select}: waits until one of {@code handles} is done and consumes that one;
     * the others stay valid. A handle that is not pending counts as finished (with -1), so the
     * guest learns which one was wrong; an empty array gives {@code (-1, -1)}.
     */
    public Selected select(int[] handles) throws InterruptedException {
        if (handles.length == 0) {
            return new Selected(ERROR, ERROR);
        }
        CompletableFuture<?>[] futures = new CompletableFuture<?>[handles.length];
        for (int i = 0; i < handles.length; i++) {
            InFlight f = pending.get(handles[i]);
            if (f == null) {
                return new Selected(handles[i], ERROR);
            }
            futures[i] = f.result();
        }
        try {
            CompletableFuture.anyOf(futures)
                    .get(Math.max(0, remainingNanos() + GRACE_NANOS), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            // one finished with a failure: found below like any other finished one
        } catch (TimeoutException e) {
            // every request's own timeout ends before the deadline, so this is a backstop
            InFlight f = pending.take(handles[0]);
            f.abort();
            return new Selected(
                    handles[0], failed(f, new OutboundFailure("no response before the deadline")));
        } catch (InterruptedException e) {
            for (int h : handles) {
                pending.get(h).abort();
            }
            throw e;
        }
        for (int h : handles) {
            if (pending.get(h).isDone()) {
                return new Selected(h, finish(pending.take(h)));
            }
        }
        throw new IllegalStateException("select woke up with nothing done");
    }

    /** A response this guest received, or null. */
    public OutboundResponse response(int handle) {
        return responses.get(handle);
    }

    /** The in-flight request behind a pending handle, or null; for tests. */
    InFlight inFlight(int pendingHandle) {
        return pending.get(pendingHandle);
    }

    /** Requests sent so far by this guest request. */
    public int sent() {
        return sent;
    }

    /** Aborts everything still in flight and forgets every handle. */
    @Override
    public void close() {
        if (refusals > LOGGED_REFUSALS) {
            LOG.info(
                    "outbound: {} (route {}) had {} requests refused in one guest request",
                    guestName,
                    policy.route(),
                    refusals);
        }
        pending.closeAll(InFlight::abort);
        requests.closeAll(r -> {});
        responses.closeAll(r -> {});
        budget.close();
        if (buffers != null) {
            buffers.release(requestBodyBytes);
            requestBodyBytes = 0;
        }
    }

    // --- internals ----------------------------------------------------------------------------

    /** Takes a created request and starts it, or returns null after logging why not. */
    private InFlight start(int handle) {
        OutboundRequest r = requests.take(handle);
        if (r == null) {
            return null;
        }
        if (sent >= limits.maxSubrequests()) {
            refuse(
                    "refused "
                            + r
                            + ": this guest request already sent "
                            + sent
                            + " requests (outbound.maxSubrequests)");
            return null;
        }
        long remainingNanos = remainingNanos();
        if (remainingNanos <= 0) {
            refuse("refused " + r + ": the guest request's deadline has passed");
            return null;
        }
        if (hops > limits.maxHops()) {
            refuse(
                    "refused "
                            + r
                            + ": it would be the request's hop "
                            + hops
                            + " through Vivarium guests, more than outbound.maxHops ("
                            + limits.maxHops()
                            + "; counted in its CDN-Loop header)");
            return null;
        }
        if (quota != null && !quota.tryAcquire()) {
            refuse(
                    "refused "
                            + r
                            + ": deployment "
                            + quota.deployment()
                            + " already has "
                            + quota.max()
                            + " outbound requests in flight (outbound.maxConcurrent)");
            return null;
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
            refuse("failed to start " + r + ": " + OutboundFailure.of(e).getMessage());
            return null;
        }
        if (quota != null) {
            // however it ends: a response, a failure, an abort at the guest request's end
            f.result().whenComplete((response, failure) -> quota.release());
        }
        return f;
    }

    /**
     * Waits (until just past the deadline) for a started request, null if there is none, and
     * returns its response handle or -1.
     */
    private int waitFor(InFlight f) throws InterruptedException {
        if (f == null) {
            return ERROR;
        }
        try {
            return received(f, f.await(remainingNanos() + GRACE_NANOS));
        } catch (OutboundFailure e) {
            return failed(f, e);
        }
    }

    /** The response handle for a finished request, or -1 after logging why it failed. */
    private int finish(InFlight f) {
        try {
            return received(f, f.outcome());
        } catch (OutboundFailure e) {
            return failed(f, e);
        }
    }

    private int received(InFlight f, OutboundResponse response) {
        int h = responses.insert(response);
        if (h < 0) {
            return failed(f, new OutboundFailure("no response handle left"));
        }
        http.counted(OutboundHttp.Result.OK);
        LOG.debug("{} {}: {} ({} bytes)", guestName, f, response.status(), response.body().length);
        return h;
    }

    private int failed(InFlight f, OutboundFailure e) {
        http.counted(OutboundHttp.Result.FAILED);
        LOG.info(
                "outbound {} from {} (route {}) failed: {}",
                f,
                guestName,
                policy.route(),
                e.getMessage());
        return ERROR;
    }

    private int refuse(String why) {
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
        return ERROR;
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
