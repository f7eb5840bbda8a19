package dev.vivarium.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import org.eclipse.jetty.http.HttpTester;

/**
 * A running server on 127.0.0.1 with Vivarium installed by an adapter, and a raw HTTP/1.1 client
 * for it (raw, so scenarios control every byte: the Host header, chunking, a Content-Length with no
 * body, pipelining).
 */
public final class KitServer implements AutoCloseable {
    private static final int READ_TIMEOUT_MS = 15_000;

    private final IntSupplier port;
    private final AutoCloseable stop;

    private KitServer(IntSupplier port, AutoCloseable stop) {
        this.port = port;
        this.stop = stop;
    }

    /**
     * @param port the port it listens on, on 127.0.0.1 (read when needed: some servers know it only
     *     once started)
     * @param stop stops the server and releases what it holds
     */
    public static KitServer of(IntSupplier port, AutoCloseable stop) {
        return new KitServer(port, stop);
    }

    public int port() {
        return port.getAsInt();
    }

    /** A request with {@code Host: localhost} and {@code Connection: close}. */
    public static HttpTester.Request request(String method, String uri) {
        HttpTester.Request request = HttpTester.newRequest();
        request.setMethod(method);
        request.setURI(uri);
        request.setVersion("HTTP/1.1");
        request.setHeader("Host", "localhost");
        request.setHeader("Connection", "close");
        return request;
    }

    public HttpTester.Response get(String uri) throws IOException {
        return send(request("GET", uri));
    }

    public HttpTester.Response send(HttpTester.Request request) throws IOException {
        ByteBuffer bytes = request.generate();
        byte[] raw = new byte[bytes.remaining()];
        bytes.get(raw);
        return sendInParts(0, new String(raw, StandardCharsets.ISO_8859_1));
    }

    /** Sends raw request text (one char per byte) on a new connection; parses the one response. */
    public HttpTester.Response send(String raw) throws IOException {
        return sendInParts(0, raw);
    }

    /**
     * Sends the parts with a pause between them, so the server has read all that arrived before the
     * next part comes (a slow client), then parses the one response.
     */
    public HttpTester.Response sendInParts(long pauseMillis, String... parts) throws IOException {
        try (Socket socket = connect()) {
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
    public List<HttpTester.Response> sendPipelined(int count, String raw) throws IOException {
        try (Socket socket = connect()) {
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

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port()), READ_TIMEOUT_MS);
            socket.setSoTimeout(READ_TIMEOUT_MS);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
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
