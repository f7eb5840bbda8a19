package dev.vivarium.core.deploy;

import dev.vivarium.core.engine.EngineMetrics;
import dev.vivarium.core.kv.KvStats;
import dev.vivarium.core.log.LogBuffer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What the admin API's {@code GET /stats} answers (and the dashboard draws): the engine's memory
 * and, per deployment, its requests by outcome, its latency histogram (cumulative bucket counts,
 * from which a reader takes percentiles over the interval between two reads), its pool and the size
 * of its KV store. Counts are totals since the deployment's meters were created: a reader takes
 * rates from the difference of two reads.
 *
 * @param time when it was read
 * @param memoryUsed bytes of guest memory held now ({@code vivarium.memory.used})
 * @param memoryMax bytes that may be held ({@code maxTotalMemory})
 * @param deployments one entry per deployment, in the order of the deployment list
 */
public record AdminStats(
        Instant time, long memoryUsed, long memoryMax, List<Deployment> deployments) {

    /**
     * One deployment's numbers.
     *
     * @param id the deployment id
     * @param requests requests by outcome kind in lower case ({@code ok}, {@code trap}, ...)
     * @param latencyCount requests timed
     * @param latencySeconds their total time
     * @param buckets cumulative counts: {@code [upper bound in seconds, requests at or under it]},
     *     ascending; empty when the registry keeps no histogram
     * @param poolIdle idle instances in its pools
     * @param poolInUse instances running a request
     * @param kvKeys keys in its KV store; -1 when it has none (or it cannot be read now)
     * @param kvBytes bytes of its KV store; -1 likewise
     * @param logLines the sequence number of its last log line
     * @param logDropped log lines dropped from its full buffer
     */
    public record Deployment(
            String id,
            Map<String, Long> requests,
            long latencyCount,
            double latencySeconds,
            List<double[]> buckets,
            long poolIdle,
            long poolInUse,
            long kvKeys,
            long kvBytes,
            long logLines,
            long logDropped) {
        String toJson() {
            StringBuilder b = new StringBuilder("{\"id\":").append(Json.string(id));
            b.append(",\"requests\":{");
            boolean first = true;
            for (Map.Entry<String, Long> e : requests.entrySet()) {
                b.append(first ? "" : ",").append(Json.string(e.getKey())).append(':');
                b.append(e.getValue());
                first = false;
            }
            b.append("},\"latency\":{\"count\":").append(latencyCount);
            b.append(",\"sumSeconds\":").append(latencySeconds).append(",\"buckets\":[");
            for (int i = 0; i < buckets.size(); i++) {
                double[] bucket = buckets.get(i);
                b.append(i == 0 ? "" : ",").append('[');
                b.append(Double.isInfinite(bucket[0]) ? "null" : Double.toString(bucket[0]));
                b.append(',').append((long) bucket[1]).append(']');
            }
            b.append("]},\"pool\":{\"idle\":").append(poolIdle);
            b.append(",\"inUse\":").append(poolInUse).append('}');
            b.append(",\"kv\":{\"keys\":").append(kvKeys).append(",\"bytes\":").append(kvBytes);
            b.append("},\"log\":{\"lines\":").append(logLines).append(",\"dropped\":");
            return b.append(logDropped).append("}}").toString();
        }
    }

    public AdminStats {
        deployments = List.copyOf(deployments);
    }

    /** As a JSON object. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"time\":").append(Json.string(time.toString()));
        b.append(",\"memory\":{\"used\":").append(memoryUsed).append(",\"max\":").append(memoryMax);
        b.append("},\"deployments\":[");
        for (int i = 0; i < deployments.size(); i++) {
            b.append(i == 0 ? "" : ",").append(deployments.get(i).toJson());
        }
        return b.append("]}").toString();
    }

    /**
     * Reads the engine's meters in {@code registry} for each of {@code ids}.
     *
     * @param latency a deployment's cumulative latency buckets, or null
     * @param kv a deployment's KV store figures, or null when it has none
     * @param logs a deployment's log buffer, or null
     */
    public static AdminStats read(
            Instant now,
            MeterRegistry registry,
            List<String> ids,
            Function<String, List<double[]>> latency,
            Function<String, KvStats> kv,
            Function<String, LogBuffer> logs) {
        List<Deployment> out = new ArrayList<>();
        for (String id : ids) {
            Map<String, Long> requests = new TreeMap<>();
            for (Counter c :
                    registry.find(EngineMetrics.REQUESTS).tag("deployment", id).counters()) {
                requests.merge(c.getId().getTag("outcome"), (long) c.count(), Long::sum);
            }
            Timer timer = registry.find(EngineMetrics.REQUESTS).tag("deployment", id).timer();
            long count = 0;
            double seconds = 0;
            List<double[]> buckets = new ArrayList<>();
            if (timer != null) {
                count = timer.count();
                seconds = timer.totalTime(TimeUnit.SECONDS);
            }
            List<double[]> histogram = latency.apply(id);
            if (histogram != null) {
                buckets.addAll(histogram);
            }
            long idle = 0;
            long inUse = 0;
            for (Gauge g :
                    registry.find(EngineMetrics.POOL_INSTANCES).tag("deployment", id).gauges()) {
                if ("idle".equals(g.getId().getTag("state"))) {
                    idle += (long) g.value();
                } else {
                    inUse += (long) g.value();
                }
            }
            KvStats k = kv.apply(id);
            LogBuffer log = logs.apply(id);
            out.add(
                    new Deployment(
                            id,
                            requests,
                            count,
                            seconds,
                            buckets,
                            idle,
                            inUse,
                            k == null ? -1 : k.keys(),
                            k == null ? -1 : k.bytes(),
                            log == null ? 0 : log.lastSeq(),
                            log == null ? 0 : log.dropped()));
        }
        return new AdminStats(
                now,
                gauge(registry, "vivarium.memory.used"),
                gauge(registry, "vivarium.memory.max"),
                out);
    }

    private static long gauge(MeterRegistry registry, String name) {
        Gauge g = registry.find(name).gauge();
        return g == null ? 0 : (long) g.value();
    }
}
