package dev.vivarium.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A deployment's request latencies in fixed buckets, kept beside its Micrometer timer so that the
 * admin API's {@code /stats} (and the dashboard's percentiles) work with any registry: not every
 * registry keeps the timer's histogram ({@code SimpleMeterRegistry} does not). Lock-free: one
 * {@link LongAdder} per bucket.
 */
public final class LatencyHistogram {
    /** Upper bounds in seconds; a last bucket takes everything above. */
    static final double[] BOUNDS = {
        0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60
    };

    private final LongAdder[] counts = new LongAdder[BOUNDS.length + 1];

    LatencyHistogram() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    void record(long nanos) {
        double seconds = nanos / 1e9;
        int i = 0;
        while (i < BOUNDS.length && seconds > BOUNDS[i]) {
            i++;
        }
        counts[i].increment();
    }

    /**
     * Cumulative counts, Prometheus style: {@code [upper bound in seconds, requests at or under
     * it]}, ascending, the last bound {@link Double#POSITIVE_INFINITY}.
     */
    public List<double[]> cumulative() {
        List<double[]> out = new ArrayList<>(counts.length);
        long sum = 0;
        for (int i = 0; i < counts.length; i++) {
            sum += counts[i].sum();
            out.add(new double[] {i < BOUNDS.length ? BOUNDS[i] : Double.POSITIVE_INFINITY, sum});
        }
        return out;
    }
}
