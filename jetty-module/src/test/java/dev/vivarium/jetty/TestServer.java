package dev.vivarium.jetty;

import dev.vivarium.servlet.VivariumFilter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.coyote.http2.Http2Protocol;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.http.HttpTester;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real server (Jetty, or Tomcat for the filter) on a free 127.0.0.1 port with Vivarium installed
 * by an {@link Adapter}, and a raw HTTP/1.1 client for it (raw, so tests control every byte: the
 * Host header, chunking, a Content-Length with no body).
 */
final class TestServer implements AutoCloseable {
    private static final int READ_TIMEOUT_MS = 15_000;

    /** Puts Vivarium (and the application behind it) on a Jetty server. */
    @FunctionalInterface
    interface Installer {
        void install(Server server, Map<String, String> settings) throws Exception;
    }

    private final IntSupplier port;
    private final AutoCloseable stop;

    private TestServer(IntSupplier port, AutoCloseable stop) {
        this.port = port;
        this.stop = stop;
    }

    /** A Jetty server speaking HTTP/1.1 and h2c, set up by {@code installer}. */
    static TestServer start(Installer installer, Map<String, String> settings) throws Exception {
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
        return new TestServer(connector::getLocalPort, server::stop);
    }

    /**
     * An embedded Tomcat 10.1 speaking HTTP/1.1 and h2c, with the servlet filter (configured by
     * init-params) in front of {@link TestApplication#servlet()} in a webapp at {@code
     * contextPath}.
     */
    static TestServer tomcat(String contextPath, Map<String, String> settings) throws Exception {
        Path base = Files.createTempDirectory("vivarium-tomcat");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        tomcat.setHostname("127.0.0.1");
        Connector connector = tomcat.getConnector();
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        connector.addUpgradeProtocol(new Http2Protocol());
        // Tomcat refuses these in a query unless told (Jetty passes them on): a site may allow them
        connector.setProperty("relaxedQueryChars", "\"<>");
        Context context = tomcat.addContext(contextPath.equals("/") ? "" : contextPath, null);
        FilterDef filter = new FilterDef();
        filter.setFilterName("vivarium");
        filter.setFilterClass(VivariumFilter.class.getName());
        settings.forEach(filter::addInitParameter);
        context.addFilterDef(filter);
        FilterMap map = new FilterMap();
        map.setFilterName("vivarium");
        map.addURLPattern("/*");
        context.addFilterMap(map);
        Tomcat.addServlet(context, "application", TestApplication.servlet());
        context.addServletMappingDecoded("/*", "application");
        AutoCloseable stop =
                () -> {
                    try {
                        tomcat.stop();
                        tomcat.destroy();
                    } finally {
                        try (Stream<Path> files = Files.walk(base)) {
                            files.sorted(Comparator.reverseOrder())
                                    .forEach(p -> p.toFile().delete());
                        }
                    }
                };
        tomcat.start();
        if (context.getState() != LifecycleState.STARTED) {
            stop.close();
            throw new IllegalStateException("the webapp did not start: " + context.getState());
        }
        return new TestServer(connector::getLocalPort, stop);
    }

    int port() {
        return port.getAsInt();
    }

    /** A request with {@code Host: localhost} and {@code Connection: close}. */
    static HttpTester.Request request(String method, String uri) {
        HttpTester.Request request = HttpTester.newRequest();
        request.setMethod(method);
        request.setURI(uri);
        request.setVersion("HTTP/1.1");
        request.setHeader("Host", "localhost");
        request.setHeader("Connection", "close");
        return request;
    }

    HttpTester.Response get(String uri) throws IOException {
        return send(request("GET", uri));
    }

    HttpTester.Response send(HttpTester.Request request) throws IOException {
        var bytes = request.generate();
        byte[] raw = new byte[bytes.remaining()];
        bytes.get(raw);
        return send(raw);
    }

    HttpTester.Response send(String raw) throws IOException {
        return send(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends raw bytes on a new connection and parses the one response. */
    HttpTester.Response send(byte[] raw) throws IOException {
        return sendInParts(0, new String(raw, StandardCharsets.ISO_8859_1));
    }

    /**
     * Sends the parts with a pause between them, so the server has read all that arrived before the
     * next part comes (a slow client), then parses the one response.
     */
    HttpTester.Response sendInParts(long pauseMillis, String... parts) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port()), READ_TIMEOUT_MS);
            socket.setSoTimeout(READ_TIMEOUT_MS);
            OutputStream out = socket.getOutputStream();
            for (int i = 0; i < parts.length; i++) {
                if (i > 0) {
                    sleep(pauseMillis);
                }
                out.write(parts[i].getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            InputStream in = socket.getInputStream();
            HttpTester.Response response = HttpTester.parseResponse(in);
            if (response == null) {
                throw new IOException("the server closed the connection without a response");
            }
            return response;
        }
    }

    /**
     * Sends raw bytes holding several requests, pipelined on one keep-alive connection, and parses
     * {@code count} responses from it, in order.
     */
    List<HttpTester.Response> sendPipelined(int count, String raw) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port()), READ_TIMEOUT_MS);
            socket.setSoTimeout(READ_TIMEOUT_MS);
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            HttpTester.Input in = HttpTester.from(socket.getInputStream());
            List<HttpTester.Response> responses = new ArrayList<>();
            while (responses.size() < count) {
                HttpTester.Response response = HttpTester.parseResponse(in);
                if (response == null) {
                    throw new IOException(
                            "the server closed the connection after "
                                    + responses.size()
                                    + " responses: "
                                    + responses);
                }
                responses.add(response);
            }
            return responses;
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void close() throws Exception {
        stop.close();
    }
}
