package dev.vivarium.core.outbound;

import dev.vivarium.core.Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loop detection with the {@code CDN-Loop} request header (RFC 8586), as Fastly and Cloudflare do
 * it: every outbound request a guest sends carries the incoming request's {@code CDN-Loop} values
 * plus one {@value #CDN_ID} entry, so the number of {@value #CDN_ID} entries a request arrives with
 * is the number of Vivarium guests it has already passed through (its hops). Fastly appends one
 * {@code Fastly} token per pass the same way; Cloudflare writes {@code cloudflare; loops=N}.
 *
 * <p>The header is the host's: a guest cannot set or remove it ({@link
 * OutboundRequest#isHostOwned}), so a guest cannot hide a loop. A client may send it, which can
 * only make its own request look deeper. What the count cannot see is a loop through a relay that
 * drops the header; the per-deployment limits ({@code outbound.maxConcurrent}, {@code
 * maxConcurrent}) bound that one.
 */
public final class Hops {
    /** The header, lower case as {@link Headers} keeps names. */
    public static final String HEADER = "cdn-loop";

    /** This platform's cdn-id in {@code CDN-Loop}. */
    public static final String CDN_ID = "vivarium";

    private Hops() {}

    /** How many {@value #CDN_ID} entries {@code headers}' {@code CDN-Loop} fields hold. */
    public static int count(Headers headers) {
        return count(headers.values(HEADER));
    }

    /** How many {@value #CDN_ID} entries these {@code CDN-Loop} field values hold. */
    public static int count(List<String> values) {
        int n = 0;
        for (String value : values) {
            for (String entry : value.split(",")) {
                int semi = entry.indexOf(';');
                String id = (semi < 0 ? entry : entry.substring(0, semi)).trim();
                if (id.toLowerCase(Locale.ROOT).equals(CDN_ID)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The {@code CDN-Loop} values an outbound request of a guest serving {@code incoming} gets. */
    public static List<String> next(Headers incoming) {
        List<String> values = new ArrayList<>(incoming.values(HEADER));
        values.add(CDN_ID);
        return values;
    }
}
