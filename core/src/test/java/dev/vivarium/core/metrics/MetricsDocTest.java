package dev.vivarium.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.deploy.UploadOptions;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.PrometheusText;
import dev.vivarium.core.testing.PrometheusText.Family;
import dev.vivarium.core.testing.TestGuests;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docs/metrics.md} against a real Prometheus registry after real requests: every meter the
 * engine registers is a row of the table, with its Prometheus name, type and tags, and every row is
 * a meter, so the table cannot drift from the code.
 */
@Timeout(120)
class MetricsDocTest {
    static final Path DOC = Path.of("..", "docs", "metrics.md");

    @TempDir Path kvDir;
    @TempDir Path deployDir;

    /** One row of the table. */
    record Row(String prometheus, String micrometer, String type, Set<String> tags) {}

    static Map<String, Row> table() throws Exception {
        assertTrue(Files.isRegularFile(DOC), DOC.toAbsolutePath() + " is missing");
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(DOC)) {
            if (!line.startsWith("| `vivarium_")) {
                continue;
            }
            String[] cells = line.split("\\|", -1);
            assertEquals(8, cells.length, "6 cells in the row: " + line);
            Set<String> tags =
                    cells[4].isBlank() || cells[4].strip().equals("-")
                            ? Set.of()
                            : Arrays.stream(cells[4].split(","))
                                    .map(MetricsDocTest::code)
                                    .collect(Collectors.toCollection(TreeSet::new));
            Row r = new Row(code(cells[1]), code(cells[2]), cells[3].strip(), tags);
            assertEquals(null, rows.put(r.prometheus(), r), "a second row for " + r.prometheus());
        }
        return rows;
    }

    private static String code(String cell) {
        String s = cell.strip();
        assertTrue(s.startsWith("`") && s.endsWith("`"), "a name in backquotes: " + cell);
        return s.substring(1, s.length() - 1);
    }

    static Outcome get(Vivarium v, String path, Headers headers) {
        return v.handle(
                v.route("localhost", path),
                new GuestRequest("GET", path, "localhost", headers, null, "127.0.0.1"));
    }

    @Test
    void everyMeterIsInTheTableAndEveryRowIsAMeter() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        byte[] hello = Files.readAllBytes(TestGuests.watFixtures().resolve("hello_raw.wat"));
        Map<String, Family> scraped;
        try (Vivarium v =
                Vivarium.builder(
                                VivariumOptions.builder()
                                        .guestDirectory(TestGuests.watFixtures())
                                        .poolSize(1)
                                        .kv(KvOptions.defaults(kvDir))
                                        .uploads(UploadOptions.builder(deployDir).build())
                                        .route("/hello -> hello_raw.wat")
                                        .route("/panic -> panic.wat")
                                        .route("/kv -> kv_counter.wat")
                                        .route("/out -> http_block.wat")
                                        .build())
                        .meterRegistry(registry)
                        .start()) {
            v.uploads().deploy("up", "/up", null, null, List.of(), hello);
            get(v, "/hello", new Headers());
            get(v, "/panic", new Headers());
            get(v, "/kv", new Headers());
            get(v, "/kv", new Headers());
            get(v, "/up", new Headers());
            // no allowlist: the host refuses the request and the guest goes on
            Outcome out =
                    get(
                            v,
                            "/out",
                            new Headers()
                                    .add("x-url", "http://not-allowed.example/")
                                    .add("x-mode", "s"));
            assertEquals(200, out.status());
            String scrape = registry.scrape();
            // kept for a look at what Prometheus reads (HELP lines, buckets)
            Files.writeString(Path.of("target", "metrics-scrape.txt"), scrape);
            scraped = PrometheusText.parse(scrape);

            Set<String> registered =
                    registry.getMeters().stream()
                            .map(m -> m.getId().getName())
                            .filter(n -> n.startsWith("vivarium."))
                            .collect(Collectors.toCollection(TreeSet::new));
            Map<String, Row> table = table();
            Map<String, Family> ours = new LinkedHashMap<>();
            scraped.forEach(
                    (name, f) -> {
                        if (name.startsWith("vivarium_")) {
                            ours.put(name, f);
                        }
                    });
            assertEquals(
                    new TreeSet<>(ours.keySet()),
                    new TreeSet<>(table.keySet()),
                    "Prometheus names in the scrape vs. rows of " + DOC);
            assertEquals(
                    registered,
                    table.values().stream()
                            .map(Row::micrometer)
                            .collect(Collectors.toCollection(TreeSet::new)),
                    "Micrometer names registered vs. in " + DOC);
            for (Row r : table.values()) {
                Family f = ours.get(r.prometheus());
                assertEquals(f.type(), r.type(), "type of " + r.prometheus());
                assertEquals(new TreeSet<>(f.labelNames()), r.tags(), "tags of " + r.prometheus());
            }

            // and the counters moved
            assertEquals(
                    1.0,
                    ours.get("vivarium_requests_total")
                            .value(
                                    "vivarium_requests_total",
                                    Map.of("deployment", "hello_raw", "outcome", "ok")));
            assertEquals(
                    1.0,
                    ours.get("vivarium_requests_total")
                            .value(
                                    "vivarium_requests_total",
                                    Map.of("deployment", "panic", "outcome", "panic")));
            assertEquals(
                    2.0,
                    ours.get("vivarium_requests_seconds")
                            .value(
                                    "vivarium_requests_seconds_count",
                                    Map.of("deployment", "kv_counter")));
            assertEquals(
                    1.0,
                    ours.get("vivarium_kv_operations_total")
                            .value(
                                    "vivarium_kv_operations_total",
                                    Map.of(
                                            "deployment",
                                            "kv_counter",
                                            "op",
                                            "get",
                                            "result",
                                            "hit")),
                    "the second request found the count");
            assertEquals(
                    1.0,
                    ours.get("vivarium_outbound_requests_total")
                            .value(
                                    "vivarium_outbound_requests_total",
                                    Map.of("result", "refused")));
            assertEquals(
                    1.0,
                    ours.get("vivarium_deployments_uploaded")
                            .value("vivarium_deployments_uploaded", Map.of()));
            assertTrue(
                    ours.get("vivarium_memory_used_bytes")
                                    .value("vivarium_memory_used_bytes", Map.of())
                            > 0);
        }
    }
}
