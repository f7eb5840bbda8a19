package dev.vivarium.cli;

import dev.vivarium.client.AdminClient;
import dev.vivarium.client.CliException;
import dev.vivarium.client.ExitCodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The part of {@code vivarium deploy --wait} that waits for a cluster: with a shared deployment
 * store ({@code deployments.store=postgresql}) the server's {@code GET .../nodes} lists every live
 * node and the generation it serves; the upload is done once each serves the generation read right
 * after it (the upload's change, or a later one).
 */
final class NodeWait {
    private NodeWait() {}

    /** What the wait found: the nodes that serve the change (empty: not a shared store). */
    record Done(List<String> nodes, long generation) {}

    /**
     * Waits until every live node serves the server's current generation.
     *
     * @throws CliException {@link ExitCodes#NOT_SERVING} naming the nodes still behind when {@code
     *     wait} has passed
     */
    static Done await(AdminClient client, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        Map<String, Object> first = client.nodes();
        if (first == null || !Boolean.TRUE.equals(first.get("shared"))) {
            return new Done(List.of(), 0); // one node: the upload's answer means it serves
        }
        long target = number(first.get("generation"));
        long pause = 50;
        Map<String, Object> now = first;
        while (true) {
            List<String> behind = new ArrayList<>();
            List<String> all = new ArrayList<>();
            for (Object o : list(now.get("nodes"))) {
                if (o instanceof Map<?, ?> n) {
                    String id = String.valueOf(n.get("id"));
                    all.add(id);
                    long g = number(n.get("generation"));
                    if (g < target) {
                        behind.add(id + " (serves generation " + g + ")");
                    }
                }
            }
            if (behind.isEmpty()) {
                return new Done(all, target);
            }
            if (System.nanoTime() > deadline) {
                throw new CliException(
                        ExitCodes.NOT_SERVING,
                        "uploaded, but after "
                                + wait.toSeconds()
                                + " s "
                                + behind.size()
                                + " of "
                                + all.size()
                                + " nodes do not serve it yet (generation "
                                + target
                                + "): "
                                + String.join(", ", behind)
                                + "; check those nodes' logs and their connection to the"
                                + " deployments database, or wait longer (--wait)");
            }
            AdminClient.sleep(pause);
            pause = Math.min(pause * 2, 500);
            now = client.nodes();
            if (now == null) {
                throw new CliException(ExitCodes.REFUSED, "the server stopped listing its nodes");
            }
        }
    }

    private static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    private static long number(Object o) {
        return o instanceof Number n ? n.longValue() : -1;
    }
}
