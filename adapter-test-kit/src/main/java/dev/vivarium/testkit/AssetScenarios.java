package dev.vivarium.testkit;

import static dev.vivarium.core.testing.TestBundles.Entry.file;
import static dev.vivarium.testkit.KitContext.admin;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestBundles;
import dev.vivarium.core.testing.TestGuests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bundle uploaded over HTTP (a zip with a module, {@code vivarium.toml} and {@code assets/}) and
 * its static files served by the adapter before the guest runs: content types, ETag and
 * Last-Modified with 304s, one byte range (206, 416), a precompressed sibling when the client
 * accepts it, {@code index.html} for directories, symlinks and traversal refused, a file larger
 * than all the guests' memory streamed, and the deployment's own host name under {@code
 * deployments.domain}. Part of the kit every adapter runs through {@link AdapterScenarios}.
 */
@Timeout(120)
public interface AssetScenarios extends KitContext {
    /** The CSS file of the bundle, and its precompressed siblings. */
    String CSS = "body { color: #123456; }\n".repeat(20);

    /** Larger than {@code maxTotalMemory} of the server (2 MB): streamed, not held. */
    int BIG = 3 * 1024 * 1024;

    /** A server with the admin API, deployments.domain and 2 MB for all guests together. */
    default KitServer startForAssets(Path kv) throws Exception {
        Map<String, String> s = adminSettings(kv);
        s.put("maxRequestBodySize", "256KB");
        s.put("maxTotalMemory", "2MB");
        s.put("maxMemoryPages", "24");
        s.put("deployments.domain", "edge.example.test");
        return start(s, "");
    }

    static byte[] bigFile() {
        byte[] b = new byte[BIG];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) ('a' + (i / 7) % 26);
        }
        return b;
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    static byte[] siteBundle() throws IOException {
        byte[] hello = Files.readAllBytes(TestGuests.root().resolve("wat/fixtures/hello_raw.wat"));
        return TestBundles.zip(
                List.of(
                        file(
                                "vivarium.toml",
                                "name = \"site\"\nroute = \"/site/*\"\nttl = \"5m\"\n"),
                        file("site.wat", hello),
                        file("assets/index.html", "<h1>home</h1>"),
                        file("assets/css/site.css", CSS),
                        file("assets/css/site.css.gz", gzip(CSS.getBytes(UTF_8))),
                        file("assets/css/site.css.br", "pretend-brotli"),
                        file("assets/docs/index.html", "<h1>docs</h1>"),
                        file("assets/app.js", "console.log(1)"),
                        file("assets/big.bin", bigFile())));
    }

    /** Uploads the site bundle over HTTP; the answer is the upload's JSON. */
    static HttpTester.Response upload(KitServer server) throws IOException {
        HttpTester.Request put = admin("PUT", "/_vivarium/deployments/site", TOKEN);
        put.setHeader("Host", "localhost:" + server.port());
        put.setHeader("Content-Type", "application/zip");
        put.setContent(ByteBuffer.wrap(siteBundle()));
        return server.send(put);
    }

    static HttpTester.Request get(String uri, String... headers) {
        HttpTester.Request r = KitServer.request("GET", uri);
        for (int i = 0; i < headers.length; i += 2) {
            r.setHeader(headers[i], headers[i + 1]);
        }
        return r;
    }

    /** The Content-Type without blanks (Tomcat writes {@code text/css;charset=utf-8}). */
    static String type(HttpTester.Response r) {
        String t = r.get("content-type");
        return t == null ? null : t.replace(" ", "");
    }

    @Test
    default void assetsOfAnUploadedBundleAreServedWithTypesValidatorsAnd304s(@TempDir Path kv)
            throws Exception {
        try (KitServer server = startForAssets(kv)) {
            HttpTester.Response created = upload(server);
            assertEquals(201, created.getStatus(), created.getContent());
            assertTrue(created.getContent().contains("\"assets\":7"), created.getContent());

            HttpTester.Response css = server.send(get("/site/css/site.css"));
            assertEquals(200, css.getStatus(), css.toString());
            assertEquals(CSS, css.getContent());
            assertEquals("text/css;charset=utf-8", type(css));
            assertEquals("bytes", css.get("accept-ranges"));
            assertEquals("Accept-Encoding", css.get("vary"));
            assertNull(css.get("content-encoding"), "not asked for");
            String etag = css.get("etag");
            String modified = css.get("last-modified");
            assertTrue(etag != null && etag.matches("\"[0-9a-f]{32}\""), etag);
            assertNotNull(modified);
            assertEquals("text/javascript;charset=utf-8", type(server.send(get("/site/app.js"))));

            HttpTester.Response byTag =
                    server.send(get("/site/css/site.css", "If-None-Match", etag));
            assertEquals(304, byTag.getStatus(), byTag.toString());
            assertEquals("", byTag.getContent());
            assertEquals(etag, byTag.get("etag"));
            HttpTester.Response byDate =
                    server.send(get("/site/css/site.css", "If-Modified-Since", modified));
            assertEquals(304, byDate.getStatus(), byDate.toString());
            HttpTester.Response otherTag =
                    server.send(get("/site/css/site.css", "If-None-Match", "\"other\""));
            assertEquals(200, otherTag.getStatus(), "a tag that does not match: the file");
        }
    }

    @Test
    default void rangesPrecompressedSiblingsAndIndexFiles(@TempDir Path kv) throws Exception {
        try (KitServer server = startForAssets(kv)) {
            assertEquals(201, upload(server).getStatus());

            HttpTester.Response part = server.send(get("/site/css/site.css", "Range", "bytes=5-9"));
            assertEquals(206, part.getStatus(), part.toString());
            assertEquals(CSS.substring(5, 10), part.getContent());
            assertEquals("bytes 5-9/" + CSS.length(), part.get("content-range"));
            HttpTester.Response tail = server.send(get("/site/css/site.css", "Range", "bytes=-4"));
            assertEquals(206, tail.getStatus());
            assertEquals(CSS.substring(CSS.length() - 4), tail.getContent());
            HttpTester.Response past =
                    server.send(get("/site/css/site.css", "Range", "bytes=99999-"));
            assertEquals(416, past.getStatus(), past.toString());
            assertEquals("bytes */" + CSS.length(), past.get("content-range"));
            HttpTester.Response stale =
                    server.send(
                            get("/site/css/site.css", "Range", "bytes=0-3", "If-Range", "\"old\""));
            assertEquals(200, stale.getStatus(), "If-Range that no longer holds: the whole file");

            HttpTester.Response gz =
                    server.send(get("/site/css/site.css", "Accept-Encoding", "gzip, deflate"));
            assertEquals(200, gz.getStatus());
            assertEquals("gzip", gz.get("content-encoding"));
            assertEquals("text/css;charset=utf-8", type(gz));
            assertArrayEquals(gzip(CSS.getBytes(UTF_8)), gz.getContentBytes());
            assertNotEquals(
                    server.send(get("/site/css/site.css")).get("etag"),
                    gz.get("etag"),
                    "each encoding has its own tag");
            HttpTester.Response br =
                    server.send(get("/site/css/site.css", "Accept-Encoding", "gzip, br"));
            assertEquals("br", br.get("content-encoding"));
            assertEquals("pretend-brotli", br.getContent());
            HttpTester.Response refused =
                    server.send(get("/site/css/site.css", "Accept-Encoding", "br;q=0, gzip;q=0"));
            assertNull(refused.get("content-encoding"));
            assertEquals(CSS, refused.getContent());

            assertEquals("<h1>home</h1>", server.send(get("/site/")).getContent());
            assertEquals("<h1>docs</h1>", server.send(get("/site/docs/")).getContent());
            HttpTester.Response dir = server.send(get("/site/docs?x=1"));
            assertEquals(301, dir.getStatus(), dir.toString());
            assertEquals("/site/docs/?x=1", dir.get("location"));
            HttpTester.Response root = server.send(get("/site"));
            assertEquals(301, root.getStatus(), root.toString());
            assertEquals("/site/", root.get("location"));

            // what no file names, and other methods, go to the guest
            assertEquals("Hello, world!", server.send(get("/site/nothing.txt")).getContent());
            HttpTester.Response post = server.send(KitServer.request("POST", "/site/app.js"));
            assertEquals("Hello, world!", post.getContent());
        }
    }

    @Test
    default void traversalAndSymlinksAreRefusedAndALargeFileIsStreamed(@TempDir Path kv)
            throws Exception {
        try (KitServer server = startForAssets(kv)) {
            assertEquals(201, upload(server).getStatus());
            Files.writeString(kv.resolve("secret.txt"), "top secret");

            for (String attack :
                    List.of(
                            "/site/%2e%2e/%2e%2e/%2e%2e/secret.txt",
                            "/site/..%2f..%2f..%2fsecret.txt",
                            "/site/css/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt")) {
                HttpTester.Response r =
                        server.send(
                                "GET "
                                        + attack
                                        + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                assertTrue(
                        !r.getContent().contains("top secret"),
                        attack + " must not leave the tree: " + r);
                assertTrue(
                        r.getStatus() >= 400 || r.getContent().equals("Hello, world!"),
                        attack + ": refused, or the guest's: " + r);
            }

            // a link placed into the tree on the server's disk is not followed
            Path assets;
            try (Stream<Path> s = Files.walk(kv)) {
                assets =
                        s.filter(p -> p.endsWith(Path.of("assets", "app.js")))
                                .findFirst()
                                .orElseThrow()
                                .getParent();
            }
            Files.delete(assets.resolve("app.js"));
            Files.createSymbolicLink(assets.resolve("app.js"), kv.resolve("secret.txt"));
            HttpTester.Response link = server.send(get("/site/app.js"));
            assertEquals("Hello, world!", link.getContent(), "the guest's, not the link's target");

            HttpTester.Response big = server.send(get("/site/big.bin"));
            assertEquals(200, big.getStatus(), big.toString().substring(0, 200));
            assertEquals("application/octet-stream", big.get("content-type"));
            assertArrayEquals(bigFile(), big.getContentBytes());
            HttpTester.Response slice =
                    server.send(get("/site/big.bin", "Range", "bytes=3000000-3000009"));
            assertEquals(206, slice.getStatus());
            assertArrayEquals(
                    java.util.Arrays.copyOfRange(bigFile(), 3_000_000, 3_000_010),
                    slice.getContentBytes());
            // the guests' memory was never asked for it
            assertEquals("Hello, world!", server.get("/hello").getContent());
        }
    }

    @Test
    default void everyUploadAnswersAtItsOwnHostNameUnderDeploymentsDomain(@TempDir Path kv)
            throws Exception {
        try (KitServer server = startForAssets(kv)) {
            HttpTester.Response created = upload(server);
            assertEquals(201, created.getStatus(), created.getContent());
            String port = ":" + server.port();
            assertTrue(
                    created.getContent()
                            .contains(
                                    "\"urls\":[\"http://localhost"
                                            + port
                                            + "/site/\",\"http://site.edge.example.test"
                                            + port
                                            + "/\"]"),
                    created.getContent());

            HttpTester.Request home = get("/");
            home.setHeader("Host", "site.edge.example.test" + port);
            HttpTester.Response r = server.send(home);
            assertEquals(200, r.getStatus(), r.toString());
            assertEquals("<h1>home</h1>", r.getContent());
            HttpTester.Request guest = get("/anything");
            guest.setHeader("Host", "site.edge.example.test");
            assertEquals("Hello, world!", server.send(guest).getContent());
            HttpTester.Request other = get("/");
            other.setHeader("Host", "other.edge.example.test");
            assertEquals(
                    "reached", server.send(other).get(PassThrough.HEADER), "no such deployment");

            HttpTester.Request listing = admin("GET", "/_vivarium/deployments", TOKEN);
            listing.setHeader("Host", "localhost" + port);
            HttpTester.Response list = server.send(listing);
            assertTrue(
                    list.getContent().contains("http://site.edge.example.test" + port + "/"),
                    list.getContent());
        }
    }
}
