package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.abi.GuestExit;
import dev.vivarium.core.abi.HostcallTrap;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.kv.PendingWrites;
import dev.vivarium.core.resources.NoMemoryException;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one request in one instance and turns whatever happened into an {@link Outcome}. This is the
 * one place where traps, panics, deadlines and host failures become responses.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

    private final Watchdog watchdog = new Watchdog();
    private final BiFunction<Route, GuestRequest, CallContext> contexts;
    private final EngineMetrics metrics;
    private final UnaryOperator<Route> successor;

    /** The arguments of {@code run} and {@code _initialize}: none, without a varargs array. */
    private static final long[] NO_ARGS = new long[0];

    /**
     * How many times one request may follow a replacement before it is answered 503. Each handover
     * goes to a newer version, so this only stops a request that replacements keep overtaking while
     * it waits in their queues: a burst of replacements (30 back to back in {@code
     * ReplaceUnderLoadTest}, each upload a few ms once its classes and WAT binary are cached)
     * overtakes a queued request more than 8 times.
     */
    private static final int MAX_HANDOVERS = 64;

    /**
     * @param contexts builds the per-request context for a route (services, limits)
     */
    public Dispatcher(
            BiFunction<Route, GuestRequest, CallContext> contexts, EngineMetrics metrics) {
        this(contexts, metrics, route -> null);
    }

    /**
     * @param contexts builds the per-request context for a route (services, limits)
     * @param successor the live route that replaced a route whose deployment takes no new requests
     *     (the new version of an uploaded or reloaded deployment), or null if none did
     */
    public Dispatcher(
            BiFunction<Route, GuestRequest, CallContext> contexts,
            EngineMetrics metrics,
            UnaryOperator<Route> successor) {
        this.contexts = contexts;
        this.metrics = metrics;
        this.successor = successor;
    }

    /**
     * Runs the request. The memory counted for its bodies stays counted until the outcome is {@link
     * Outcome#release() released}, once the adapter has written it.
     */
    public Outcome dispatch(Route route, GuestRequest request) {
        return dispatch(route, request, () -> false);
    }

    /**
     * As {@link #dispatch(Route, GuestRequest)}, after admission control: the request waits for its
     * deployment to have room ({@link Admission}), and is dropped without running its guest if
     * {@code clientGone} says the client went away before it started.
     *
     * @param clientGone whether the client has closed its connection, where the adapter can tell
     */
    public Outcome dispatch(Route route, GuestRequest request, BooleanSupplier clientGone) {
        long start = System.nanoTime();
        for (int handovers = 0; ; handovers++) {
            if (clientGone.getAsBoolean()) {
                return gone(route, start);
            }
            Admission admission = route.deployment().admission();
            Outcome refused = admission.enter();
            if (refused != null) {
                metrics.record(route, refused, System.nanoTime() - start);
                return refused;
            }
            String closed;
            Outcome ran = null;
            // a deployment without a store has no writes to wait for
            PendingWrites pending = route.deployment().kv() == null ? null : new PendingWrites();
            try {
                // it may have waited in the queue: a client that left meanwhile gets nothing run
                if (clientGone.getAsBoolean()) {
                    return gone(route, start);
                }
                ran = admitted(route, request, clientGone, pending);
                closed = ran != null ? null : route.deployment().running().closedReason();
            } finally {
                admission.leave();
            }
            if (ran != null) {
                // its instance and its slot are free for others while its writes are committed
                Outcome o = durable(route, ran, pending);
                metrics.record(route, o, System.nanoTime() - start);
                return o;
            }
            // routed to a version that was replaced before the request started: the new version
            // runs it, as it runs every request routed from now on (issue 14: an atomic swap)
            Route next = successor.apply(route);
            if (next == null || next == route || handovers >= MAX_HANDOVERS) {
                Outcome o = stopped(route, closed);
                metrics.record(route, o, System.nanoTime() - start);
                return o;
            }
            route = next;
        }
    }

    private static Outcome stopped(Route route, String why) {
        return Outcome.failure(
                Outcome.Kind.HOST_ERROR,
                503,
                "deployment "
                        + route.deployment().id()
                        + " was "
                        + why
                        + " while the request ran in "
                        + route.guestName());
    }

    private Outcome gone(Route route, long start) {
        Outcome o =
                Outcome.failure(
                        Outcome.Kind.CLIENT_GONE,
                        499,
                        "the client closed the connection before " + route.guestName() + " ran");
        metrics.record(route, o, System.nanoTime() - start);
        return o;
    }

    /**
     * A successful outcome once every KV write of its request is on disk ({@link PendingWrites}); a
     * 503 instead if one of them failed or was not done by the deadline.
     */
    private static Outcome durable(Route route, Outcome outcome, PendingWrites pending) {
        if (pending == null || pending.isEmpty() || !outcome.isOk()) {
            // a failed request acknowledges nothing
            return outcome;
        }
        try {
            pending.awaitDurable();
            return outcome;
        } catch (KvUnavailableException e) {
            outcome.release();
            return kvUnavailable(route.guestName(), e);
        }
    }

    /**
     * @param pending the scope of the request's KV writes; null if its deployment has no store
     */
    private Outcome admitted(
            Route route, GuestRequest request, BooleanSupplier clientGone, PendingWrites pending) {
        CallContext ctx = contexts.apply(route, request);
        Outcome outcome;
        try {
            outcome = run(route, ctx, clientGone, pending);
        } catch (RuntimeException | Error e) {
            ctx.releaseBodies();
            throw e;
        }
        if (outcome == null) {
            ctx.releaseBodies();
            return null;
        }
        return outcome.onRelease(ctx);
    }

    private Outcome run(
            Route route, CallContext ctx, BooleanSupplier clientGone, PendingWrites pending) {
        InstancePool pool = route.pool();
        // the watchdog and blocking hostcalls (outbound HTTP, DNS) share one deadline; it covers
        // building an instance too, which runs the guest's start function if it has one
        RunningRequests running = route.deployment().running();
        Watchdog.Armed armed = watchdog.arm(ctx.deadlineNanos(), clientGone, running);
        if (running.add(armed) != null) {
            // its deployment takes no new requests: not started, so nothing to release but this
            armed.disarm();
            try {
                ctx.close();
            } catch (RuntimeException e) {
                LOG.warn("{}: releasing request resources failed", route.guestName(), e);
            }
            return null;
        }
        PooledInstance instance = null;
        Throwable failure = null;
        boolean ran = false;
        boolean interrupted;
        long ended;
        try {
            // the guest's KV writes are waited for after it ran, outside its instance and slot
            if (pending != null) {
                pending.enter(ctx.deadlineNanos());
            }
            instance = pool.acquire();
            // after taking the instance, so room for the body is never made by dropping the
            // idle instance this very request is about to use
            ctx.holdRequestBody();
            ran = true;
            ctx.bind(instance.instance, instance.guestMemory);
            instance.slot.set(ctx);
            if (instance.initialize != null) {
                instance.initialize.apply(NO_ARGS);
            }
            instance.run.apply(NO_ARGS);
        } catch (Throwable t) {
            failure = t;
        } finally {
            ended = System.nanoTime();
            if (pending != null) {
                pending.exit();
            }
            interrupted = armed.disarm();
            if (instance != null) {
                instance.slot.set(null);
            }
            try {
                ctx.close();
            } catch (RuntimeException e) {
                LOG.warn("{}: releasing request resources failed", route.guestName(), e);
            }
            if (instance != null) {
                // an instance that never ran (no room for the body) is as clean as it came
                // from the context's deadline: when it was built, just before the instance taken
                long runNanos = ended - (ctx.deadlineNanos() - route.deadline().toNanos());
                pool.release(instance, (failure == null || !ran) && !interrupted, runNanos);
            }
        }
        if (failure instanceof VirtualMachineError vme
                && !(failure instanceof StackOverflowError)) {
            throw vme;
        }
        String stopped = running.stoppedBecause();
        if (interrupted && stopped != null) {
            return stopped(route, stopped);
        }
        if (interrupted && armed.interruptedForClient()) {
            return Outcome.failure(
                    Outcome.Kind.CLIENT_GONE,
                    499,
                    "the client closed the connection while " + route.guestName() + " ran");
        }
        // late also when a blocking hostcall gave up at the deadline just before the interrupt
        if (interrupted || ended - ctx.deadlineNanos() >= 0) {
            return Outcome.failure(
                    Outcome.Kind.DEADLINE,
                    504,
                    "guest exceeded its deadline of "
                            + route.deadline().toMillis()
                            + " ms in "
                            + route.guestName());
        }
        // exit(0) ends the run normally (the instance, stopped mid-call, is still discarded)
        if (failure == null || failure instanceof GuestExit exit && exit.status() == 0) {
            return Outcome.response(ctx.status(), ctx.responseHeaders(), ctx.responseBody());
        }
        return classify(
                route,
                ctx,
                failure,
                instance == null,
                instance == null ? ResettableMemory.refusalIn(failure) : instance.growRefusal());
    }

    /**
     * Maps a failed run to its outcome; the instance has already been discarded.
     *
     * @param starting whether building the instance failed (its start function ran then), not the
     *     run
     * @param refusal why a {@code memory.grow} failed during the run, or null: a guest that cannot
     *     have more memory usually fails for it (a Rust guest aborts), so the message says so
     */
    private static Outcome classify(
            Route route,
            CallContext ctx,
            Throwable failure,
            boolean starting,
            ResettableMemory.GrowRefusal refusal) {
        String guest = route.guestName();
        if (failure instanceof NoMemoryException) {
            // no memory for a new instance, or for a body
            return Outcome.failure(
                    Outcome.Kind.OVERLOADED, 503, failure.getMessage() + " in " + guest);
        }
        if (refusal != null && refusal.total()) {
            // the server is short of memory, not the guest at fault
            return Outcome.failure(
                    Outcome.Kind.OVERLOADED,
                    503,
                    "guest failed after " + refusal.describe() + " in " + guest);
        }
        String after = refusal == null ? "" : ", after " + refusal.describe();
        if (starting && failure instanceof UninstantiableException u) {
            if (!(u.getCause() instanceof TrapException trap)) {
                // a data or element segment that does not fit
                return Outcome.failure(
                        Outcome.Kind.TRAP,
                        500,
                        "guest cannot be instantiated: " + cause(u) + " in " + guest);
            }
            failure = trap; // Chicory wraps a trap in the start function
        }
        String trapped = starting ? "guest trapped in its start function: " : "guest trapped: ";
        if (ctx.panicMessage() != null) {
            return Outcome.failure(Outcome.Kind.PANIC, 500, ctx.panicMessage());
        }
        if (failure instanceof GuestExit exit) {
            return Outcome.failure(
                    Outcome.Kind.PANIC,
                    500,
                    "guest exited with status " + exit.status() + " (proc_exit) in " + guest);
        }
        if (failure instanceof HostcallTrap trap) {
            return Outcome.failure(
                    trap.kind(), 500, trapped + trap.getMessage() + " in " + guest + after);
        }
        if (failure instanceof ChicoryInterruptedException) {
            // interrupted by something other than our watchdog, e.g. the container stopping
            return Outcome.failure(Outcome.Kind.HOST_ERROR, 503, "guest interrupted in " + guest);
        }
        if (failure instanceof ChicoryException || failure instanceof ArithmeticException) {
            return Outcome.failure(
                    Outcome.Kind.TRAP, 500, trapped + cause(failure) + " in " + guest + after);
        }
        if (failure instanceof StackOverflowError) {
            return Outcome.failure(
                    Outcome.Kind.TRAP, 500, trapped + "call stack exhausted in " + guest);
        }
        if (!(failure instanceof Error) && GuestFaults.thrownInGuest(failure)) {
            // e.g. an uncaught wasm exception: the guest's fault, though not a Chicory trap
            String what = GuestFaults.describe(failure);
            LOG.warn("{}: guest fault: {} ({})", guest, what, failure.toString());
            return Outcome.failure(Outcome.Kind.TRAP, 500, trapped + what + " in " + guest + after);
        }
        if (failure instanceof KvUnavailableException e) {
            return kvUnavailable(guest, e);
        }
        LOG.error(
                "{}: host failure while {} the guest",
                guest,
                starting ? "instantiating" : "running",
                failure);
        return Outcome.failure(
                Outcome.Kind.HOST_ERROR,
                500,
                "internal error while " + (starting ? "instantiating " : "running ") + guest);
    }

    /** The 503 of a KV store that went away with its deployment, or failed. */
    private static Outcome kvUnavailable(String guest, KvUnavailableException e) {
        if (e.getCause() == null) {
            LOG.warn("{}: {}", guest, e.getMessage());
        } else {
            LOG.warn("{}: {}", guest, e.getMessage(), e.getCause());
        }
        Outcome o = Outcome.failure(Outcome.Kind.HOST_ERROR, 503, e.clientMessage());
        o.headers().set("retry-after", List.of(kvRetryAfter(e)));
        return o;
    }

    /**
     * Seconds a client should wait before trying again after a KV failure: a backend that failed (a
     * database that is down, whose pool reconnects by itself) gets {@value #KV_DOWN_RETRY_AFTER}; a
     * store that went away with its deployment, or an engine stopping, gets 1.
     */
    static String kvRetryAfter(KvUnavailableException e) {
        return e.getCause() == null ? "1" : KV_DOWN_RETRY_AFTER;
    }

    /** {@code Retry-After} of a 503 for a KV backend that failed, as for an upload (seconds). */
    static final String KV_DOWN_RETRY_AFTER = "5";

    private static String cause(Throwable t) {
        return GuestFaults.describe(t);
    }

    @Override
    public void close() {
        watchdog.close();
    }

    /** Whether the watchdog that stops guests at their deadline is running. */
    public boolean watchdogAlive() {
        return watchdog.alive();
    }
}
