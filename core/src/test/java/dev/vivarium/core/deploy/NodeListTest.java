package dev.vivarium.core.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /_vivarium/nodes}: with the file store (one node) it says the store is not shared and
 * lists no nodes; the JSON of a shared store's list (the PostgreSQL store's, which {@code
 * DeployWaitTest} in cli reads from two real nodes).
 */
@Timeout(60)
class NodeListTest {
    @TempDir java.nio.file.Path kvDir;

    @Test
    void aFileStoreIsNotSharedAndListsNoNodes() throws Exception {
        AdminApiTest t = new AdminApiTest();
        t.kvDir = kvDir;
        try (Vivarium v = t.start()) {
            Outcome o = AdminApiTest.send(v, "GET", "/_vivarium/nodes", AdminApiTest.TOKEN, null);
            assertEquals(200, o.status(), AdminApiTest.text(o));
            assertEquals(
                    "{\"store\":\"file\",\"shared\":false,\"generation\":0,\"self\":null,"
                            + "\"nodes\":[]}",
                    AdminApiTest.text(o));
            Outcome put = AdminApiTest.send(v, "PUT", "/_vivarium/nodes", AdminApiTest.TOKEN, null);
            assertEquals(405, put.status());
            Outcome anonymous = AdminApiTest.send(v, "GET", "/_vivarium/nodes", null, null);
            assertEquals(401, anonymous.status());
        }
    }

    @Test
    void aSharedStoresListIsItsJson() {
        NodeList l =
                new NodeList(
                        "postgresql",
                        true,
                        12,
                        "a",
                        List.of(
                                new NodeList.Node("a", 12, Instant.parse("2026-12-04T01:00:00Z")),
                                new NodeList.Node(
                                        "b\"", 11, Instant.parse("2026-12-04T01:00:01Z"))));
        assertEquals(
                "{\"store\":\"postgresql\",\"shared\":true,\"generation\":12,\"self\":\"a\","
                        + "\"nodes\":[{\"id\":\"a\",\"generation\":12,\"seenAt\":\"2026-12-04T01:00:00Z\"},"
                        + "{\"id\":\"b\\\"\",\"generation\":11,\"seenAt\":\"2026-12-04T01:00:01Z\"}]}",
                l.toJson());
        assertEquals(List.of("b\""), l.behind(12).stream().map(NodeList.Node::id).toList());
    }
}
