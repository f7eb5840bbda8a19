package dev.vivarium.jetty;

import dev.vivarium.testkit.KitServer;
import java.util.Map;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** A real Jetty server on a free 127.0.0.1 port, speaking HTTP/1.1 and h2c, for tests. */
final class TestServer {
    private TestServer() {}

    /** Puts Vivarium (and the application behind it) on a Jetty server. */
    @FunctionalInterface
    interface Installer {
        void install(Server server, Map<String, String> settings) throws Exception;
    }

    /** A Jetty server set up by {@code installer}; stopped again if it fails to start. */
    static KitServer start(Installer installer, Map<String, String> settings) throws Exception {
        Server server = new Server();
        // HTTP/1.1, and HTTP/2 in clear text (h2c), whose requests carry no Host field
        HttpConfiguration http = new HttpConfiguration();
        ServerConnector connector =
                new ServerConnector(
                        server,
                        new HttpConnectionFactory(http),
                        new HTTP2CServerConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        installer.install(server, settings);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        return KitServer.of(connector::getLocalPort, server::stop);
    }
}
