package dev.vivarium.bench;

import dev.vivarium.jetty.VivariumHandler;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * One node of {@code bench/cluster.sh}: a Jetty server on 127.0.0.1 whose {@link VivariumHandler}
 * keeps its KV stores and its uploaded deployments in one PostgreSQL database ({@code
 * kv.backend=postgresql}, {@code deployments.store=postgresql}), with the admin API on. Route
 * {@code /tally} runs {@code guests/wat/fixtures/kv_tally.wat}: one atomic KV append per request,
 * so the value's length counts the requests every node served.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.vivarium.bench.ClusterNode PORT NODE_ID
 * JDBC_URL JDBC_USER ADMIN_TOKEN}.
 */
public final class ClusterNode {
    private ClusterNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: ClusterNode PORT NODE_ID JDBC_URL JDBC_USER ADMIN_TOKEN");
            System.exit(2);
        }
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(Integer.parseInt(args[0]));
        server.addConnector(connector);
        Map<String, String> s = new HashMap<>();
        s.put("guestDirectory", Guests.root().resolve("wat/fixtures").toString());
        s.put("routes", "/tally -> kv_tally.wat");
        // nothing is kept there with the PostgreSQL stores; a directory of its own all the same
        s.put(
                "kv.directory",
                java.nio.file.Files.createTempDirectory("vivarium-cluster-" + args[1]).toString());
        s.put("admin.token", args[4]);
        s.put("kv.backend", "postgresql");
        s.put("kv.jdbc.url", args[2]);
        s.put("kv.jdbc.user", args[3]);
        s.put("kv.jdbc.poolSize", "16");
        s.put("deployments.store", "postgresql");
        s.put("deployments.nodeId", args[1]);
        // every request of the run is admitted: the bench measures the database, not the queue
        s.put("maxConcurrent", "16");
        s.put("maxQueued", "512");
        s.put("queueTimeout", "10s");
        VivariumHandler handler = new VivariumHandler();
        handler.setSettings(s);
        server.setHandler(handler);
        server.start();
        System.out.println("cluster node " + args[1] + " ready on 127.0.0.1:" + args[0]);
        server.join();
    }
}
