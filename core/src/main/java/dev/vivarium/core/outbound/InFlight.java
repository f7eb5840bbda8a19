package dev.vivarium.core.outbound;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One request on its way: the future of its response and a way to abort it. The future completes on
 * an HTTP client thread; everything else happens on the guest's thread.
 */
public final class InFlight {
    private final OutboundRequest request;
    private final CompletableFuture<OutboundResponse> result;
    private final Runnable abort;

    InFlight(OutboundRequest request, CompletableFuture<OutboundResponse> result, Runnable abort) {
        this.request = request;
        this.result = result;
        this.abort = abort;
    }

    OutboundRequest request() {
        return request;
    }

    CompletableFuture<OutboundResponse> result() {
        return result;
    }

    /** Whether its outcome is there: a response or a failure. */
    public boolean isDone() {
        return result.isDone();
    }

    /** Stops the request if it is still running; harmless once it is done. */
    public void abort() {
        if (!result.isDone()) {
            abort.run();
        }
    }

    /** Ends the request with {@code why} as its outcome, and stops it. */
    void giveUp(OutboundFailure why) {
        result.completeExceptionally(why);
        abort.run();
    }

    /**
     * Waits for the outcome, at most {@code nanos}.
     *
     * @throws OutboundFailure why the request failed
     * @throws InterruptedException if the guest's thread is interrupted (its deadline passed); the
     *     request is aborted first
     */
    OutboundResponse await(long nanos) throws InterruptedException {
        try {
            return result.get(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            abort();
            throw e;
        } catch (TimeoutException e) {
            abort();
            throw new OutboundFailure("no response before the guest request's deadline");
        } catch (ExecutionException e) {
            throw OutboundFailure.of(e.getCause());
        }
    }

    /** The outcome of a request that {@link #isDone()}. */
    OutboundResponse outcome() {
        try {
            return result.getNow(null);
        } catch (RuntimeException e) {
            throw OutboundFailure.of(e.getCause() != null ? e.getCause() : e);
        }
    }

    @Override
    public String toString() {
        return request.toString();
    }
}
