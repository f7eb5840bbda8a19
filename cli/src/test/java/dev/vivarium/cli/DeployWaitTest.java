package dev.vivarium.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.client.ExitCodes;
import dev.vivarium.jetty.VivariumHandler;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vivarium deploy --wait} against two real Jetty nodes sharing their deployments and KV
 * stores through one real PostgreSQL ({@code deployments.store=postgresql}): the command returns
 * once both nodes' heartbeats report the upload's generation, and names a live node that does not
 * catch up when the wait runs out.
 */
@Timeout(300)
class DeployWaitTest {
    static EmbeddedPostgres pg;
    static int schemas;
    @TempDir Path work;
    final List<Server> servers = new ArrayList<>();
    String jdbc;

    @BeforeAll
    static void startDatabase() throws Exception {
        pg =
                EmbeddedPostgres.builder()
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setPGStartupWait(Duration.ofSeconds(60))
                        .start();
    }

    @AfterAll
    static void stopDatabase() throws Exception {
        pg.close();
    }

    @AfterEach
    void stopNodes() throws Exception {
        for (Server s : servers) {
            s.stop();
        }
    }

    void sql(String statement) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    /** Two nodes on a new schema of the one database. */
    List<String> startNodes() throws Exception {
        String schema = "wait_" + ++schemas;
        sql("CREATE SCHEMA " + schema);
        jdbc = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres?currentSchema=" + schema;
        List<String> urls = new ArrayList<>();
        for (String node : List.of("node-a", "node-b")) {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            server.addConnector(connector);
            VivariumHandler handler = new VivariumHandler();
            handler.setSettings(
                    Map.of(
                            "admin.token",
                            Cli.TOKEN,
                            "guestDirectory",
                            work.toString(),
                            "kv.directory",
                            work.resolve("kv-" + node).toString(),
                            "kv.backend",
                            "postgresql",
                            "kv.jdbc.url",
                            jdbc,
                            "kv.jdbc.user",
                            "postgres",
                            "deployments.store",
                            "postgresql",
                            "deployments.pollInterval",
                            "200ms",
                            "deployments.nodeId",
                            node));
            server.setHandler(handler);
            server.start();
            servers.add(server);
            urls.add(Cli.url(server));
        }
        return urls;
    }

    Path project(String name) {
        Cli.Result created = Cli.run(work, "new", name, "--lang", "wat");
        assertEquals(0, created.exit(), created.toString());
        return work.resolve(name);
    }

    @Test
    void deployWaitReturnsOnceEveryLiveNodeServesTheUpload() throws Exception {
        List<String> urls = startNodes();
        Path p = project("waited");
        Cli.Result r =
                Cli.run(p, "deploy", "--server", urls.get(0), "--token", Cli.TOKEN, "--wait", "60");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("served by every live node (2): node-a, node-b"), r.toString());
        // node b serves it: the command did not return before it did
        HttpResponse<String> onB = Cli.get(urls.get(1) + "/waited/");
        assertEquals(200, onB.statusCode(), onB.body());
        assertEquals("Hello from waited!\n", onB.body());
        HttpResponse<String> nodes = Cli.get(urls.get(1) + "/_vivarium/nodes");
        assertEquals(401, nodes.statusCode(), "the node list needs the admin token too");
    }

    @Test
    void deployWaitNamesTheLiveNodesThatDoNotServeTheUploadInTime() throws Exception {
        List<String> urls = startNodes();
        // a node whose heartbeat goes on but whose registry is stuck at generation 0
        sql(
                "INSERT INTO "
                        + jdbc.substring(jdbc.indexOf('=') + 1)
                        + ".vivarium_deploy_nodes (node_id, generation, seen_at, started_at)"
                        + " VALUES ('node-stuck', 0, now() + interval '1 hour', now())");
        Path p = project("lagging");
        Cli.Result r =
                Cli.run(p, "deploy", "--server", urls.get(0), "--token", Cli.TOKEN, "--wait", "2");
        assertEquals(ExitCodes.NOT_SERVING, r.exit(), r.toString());
        assertTrue(
                r.err().contains("1 of 3 nodes do not serve it yet")
                        && r.err().contains("node-stuck (serves generation 0)"),
                r.toString());
        // the other two do serve it
        assertEquals(200, Cli.get(urls.get(1) + "/lagging/").statusCode());
    }
}
