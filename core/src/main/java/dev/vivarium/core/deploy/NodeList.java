package dev.vivarium.core.deploy;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The admin API's answer to {@code GET .../nodes}: the nodes serving one shared deployment store
 * and the generation each serves, so that {@code vivarium deploy --wait} can return once every live
 * node serves a change. {@code generation} is the store's own: every change (upload, removal,
 * expiry) raises it. A store on one node ({@code deployments.store=file}) is not {@code shared} and
 * lists no nodes.
 *
 * @param store the {@code deployments.store} value
 * @param shared whether several nodes serve this store's deployments
 * @param generation the store's generation when it was read (0 for a store that is not shared)
 * @param self this node's id, or null
 * @param nodes the nodes seen lately ({@link DeploymentRepository#nodes}), ordered by id
 */
public record NodeList(
        String store, boolean shared, long generation, String self, List<Node> nodes) {
    public NodeList {
        Objects.requireNonNull(store, "store");
        nodes = List.copyOf(nodes);
    }

    /**
     * A node as its last heartbeat recorded it.
     *
     * @param id its {@code deployments.nodeId}
     * @param generation the generation it serves: it has read and applied every change up to it
     * @param seenAt when its last heartbeat was recorded (the database's clock)
     */
    public record Node(String id, long generation, Instant seenAt) {
        public Node {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(seenAt, "seenAt");
        }

        String toJson() {
            return "{\"id\":"
                    + Json.string(id)
                    + ",\"generation\":"
                    + generation
                    + ",\"seenAt\":"
                    + Json.string(seenAt.toString())
                    + "}";
        }
    }

    /** The answer of a store that only this node serves. */
    public static NodeList notShared(String store) {
        return new NodeList(store, false, 0, null, List.of());
    }

    /** The live nodes that serve an older generation than {@code generation}. */
    public List<Node> behind(long generation) {
        return nodes.stream().filter(n -> n.generation() < generation).toList();
    }

    public String toJson() {
        return "{\"store\":"
                + Json.string(store)
                + ",\"shared\":"
                + shared
                + ",\"generation\":"
                + generation
                + ",\"self\":"
                + (self == null ? "null" : Json.string(self))
                + nodes.stream()
                        .map(Node::toJson)
                        .collect(Collectors.joining(",", ",\"nodes\":[", "]}"));
    }
}
