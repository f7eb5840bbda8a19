package dev.vivarium.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.PrometheusText.Family;
import dev.vivarium.core.testing.PrometheusText.FormatException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The test-side parser of the Prometheus text format accepts what the rules allow, only that. */
class PrometheusTextTest {
    @Test
    void readsFamiliesSamplesAndEscapedLabels() {
        Map<String, Family> f =
                PrometheusText.parse(
                        "# HELP a_total things\\\\done\\n twice\n"
                                + "# TYPE a_total counter\n"
                                + "a_total{x=\"q\\\"uote\\\\back\\nline\",y=\"\"} 3.0\n"
                                + "a_total 1e3 1700000000000\n"
                                + "# a comment\n"
                                + "# TYPE h histogram\n"
                                + "h_bucket{le=\"0.1\"} 1\n"
                                + "h_bucket{le=\"+Inf\"} 2\n"
                                + "h_count 2\n"
                                + "h_sum 0.3\n");
        Family a = f.get("a_total");
        assertEquals("counter", a.type());
        assertEquals("things\\done\n twice", a.help());
        assertEquals(3.0, a.value("a_total", Map.of("x", "q\"uote\\back\nline", "y", "")));
        assertEquals(1000.0, a.value("a_total", Map.of()));
        assertEquals("histogram", f.get("h").type());
        assertTrue(f.get("h").labelNames().isEmpty(), "le is not a tag");
    }

    @Test
    void refusesWhatTheRulesDoNotAllow() {
        String type = "# TYPE a gauge\n";
        for (String bad :
                new String[] {
                    type + "a 1", // no final line feed
                    "a 1\n", // no TYPE before the sample
                    type + "a{x=\"1\"} one\n",
                    type + "a{x=1} 1\n",
                    type + "a{x=\"\\t\"} 1\n",
                    type + "a{x=\"1\",x=\"2\"} 1\n",
                    type + "a{__x=\"1\"} 1\n",
                    type + "a{x=\"1\" 1\n",
                    type + "a 1\na 2\n",
                    type + "1a 1\n",
                    type + "# TYPE b gauge\nb 1\na 2\n", // a's lines not together
                    type + "# TYPE a gauge\n",
                    "# TYPE a meter\n",
                    "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n", // no +Inf
                    "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 2\n",
                }) {
            assertThrows(FormatException.class, () -> PrometheusText.parse(bad), bad);
        }
    }
}
