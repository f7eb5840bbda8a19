package dev.vivarium.bench;

import dev.vivarium.jetty.VivariumHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The server {@code bench/isolation.sh} drives: one Jetty core server on 127.0.0.1 with two
 * deployments behind {@link VivariumHandler}, {@code /spin} (a guest that loops until its 2 s
 * deadline, the runaway) and {@code /hello} (the Rust hello guest, the victim). Jetty's default
 * thread pool (200 threads), as a site would run.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar dev.vivarium.bench.IsolationServer PORT
 * [unlimited]}; {@code unlimited} lifts admission control ({@code maxConcurrent=100000,
 * maxQueued=0}), which is how every deployment ran before it existed.
 */
public final class IsolationServer {
    private IsolationServer() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8091;
        boolean unlimited = args.length > 1 && args[1].equals("unlimited");
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        VivariumHandler vivarium = new VivariumHandler(new BenchServer.PlainHandler());
        vivarium.setGuestDirectory(Guests.root());
        vivarium.setRoutes(
                "/spin -> wat/fixtures/loop_forever.wat; deadline=2s, /hello -> dist/hello.wasm");
        if (unlimited) {
            vivarium.setSetting("maxConcurrent", "100000");
            vivarium.setSetting("maxQueued", "0");
        }
        server.setHandler(vivarium);
        server.start();
        System.out.println(
                "isolation server ready on 127.0.0.1:"
                        + connector.getLocalPort()
                        + (unlimited ? " (no admission control)" : " (default admission control)"));
        server.join();
    }
}
