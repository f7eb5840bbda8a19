package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.abi.HostcallTrap;
import dev.vivarium.core.kv.KvUnavailableException;
import java.util.function.BiFunction;
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

    /**
     * @param contexts builds the per-request context for a route (services, limits)
     */
    public Dispatcher(
            BiFunction<Route, GuestRequest, CallContext> contexts, EngineMetrics metrics) {
        this.contexts = contexts;
        this.metrics = metrics;
    }

    public Outcome dispatch(Route route, GuestRequest request) {
        long start = System.nanoTime();
        Outcome outcome = run(route, request);
        metrics.record(route, outcome, System.nanoTime() - start);
        return outcome;
    }

    private Outcome run(Route route, GuestRequest request) {
        InstancePool pool = route.pool();
        CallContext ctx = contexts.apply(route, request);
        // the watchdog and blocking hostcalls (outbound HTTP, DNS) share one deadline; it covers
        // building an instance too, which runs the guest's start function if it has one
        Watchdog.Armed armed = watchdog.arm(ctx.deadlineNanos());
        PooledInstance instance = null;
        Throwable failure = null;
        boolean interrupted;
        try {
            instance = pool.acquire();
            ctx.bind(instance.instance);
            instance.slot.set(ctx);
            if (instance.initialize != null) {
                instance.initialize.apply();
            }
            instance.run.apply();
        } catch (Throwable t) {
            failure = t;
        } finally {
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
                pool.release(instance, failure == null && !interrupted);
            }
        }
        if (failure instanceof VirtualMachineError vme
                && !(failure instanceof StackOverflowError)) {
            throw vme;
        }
        // late also when a blocking hostcall gave up at the deadline just before the interrupt
        if (interrupted || System.nanoTime() - ctx.deadlineNanos() >= 0) {
            return Outcome.failure(
                    Outcome.Kind.DEADLINE,
                    504,
                    "guest exceeded its deadline of "
                            + route.deadline().toMillis()
                            + " ms in "
                            + route.guestName());
        }
        if (failure == null) {
            return Outcome.response(ctx.status(), ctx.responseHeaders(), ctx.responseBody());
        }
        if (instance == null) {
            return instantiationFailed(route, failure);
        }
        return classify(route, ctx, failure);
    }

    /** Building the instance failed: its start function trapped, or the host failed. */
    private static Outcome instantiationFailed(Route route, Throwable failure) {
        String guest = route.guestName();
        // Chicory wraps a trap in the start function; a segment that does not fit has no cause
        if (failure instanceof UninstantiableException
                && failure.getCause() instanceof TrapException) {
            return Outcome.failure(
                    Outcome.Kind.TRAP,
                    500,
                    "guest trapped in its start function: " + cause(failure) + " in " + guest);
        }
        LOG.error("{}: cannot instantiate the guest", guest, failure);
        return Outcome.failure(
                Outcome.Kind.HOST_ERROR,
                500,
                "cannot instantiate " + guest + ": " + cause(failure));
    }

    /** Maps a failed run to its outcome; the instance has already been discarded. */
    private static Outcome classify(Route route, CallContext ctx, Throwable failure) {
        String guest = route.guestName();
        if (ctx.panicMessage() != null) {
            return Outcome.failure(Outcome.Kind.PANIC, 500, ctx.panicMessage());
        }
        if (failure instanceof HostcallTrap trap) {
            return Outcome.failure(
                    trap.kind(), 500, "guest trapped: " + trap.getMessage() + " in " + guest);
        }
        if (failure instanceof ChicoryInterruptedException) {
            // interrupted by something other than our watchdog, e.g. the container stopping
            return Outcome.failure(Outcome.Kind.HOST_ERROR, 503, "guest interrupted in " + guest);
        }
        if (failure instanceof ChicoryException || failure instanceof ArithmeticException) {
            return Outcome.failure(
                    Outcome.Kind.TRAP, 500, "guest trapped: " + cause(failure) + " in " + guest);
        }
        if (failure instanceof StackOverflowError) {
            return Outcome.failure(
                    Outcome.Kind.TRAP, 500, "guest trapped: call stack exhausted in " + guest);
        }
        if (failure instanceof KvUnavailableException e) {
            // its deployment went away while the request ran, or the store failed
            if (e.getCause() == null) {
                LOG.warn("{}: {}", guest, e.getMessage());
            } else {
                LOG.warn("{}: {}", guest, e.getMessage(), e.getCause());
            }
            return Outcome.failure(Outcome.Kind.HOST_ERROR, 503, e.clientMessage());
        }
        LOG.error("{}: host failure while running the guest", guest, failure);
        return Outcome.failure(
                Outcome.Kind.HOST_ERROR, 500, "internal error while running " + guest);
    }

    private static String cause(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getSimpleName();
        }
        m = m.trim();
        int nl = m.indexOf('\n');
        m = nl < 0 ? m : m.substring(0, nl);
        return Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }

    @Override
    public void close() {
        watchdog.close();
    }
}
