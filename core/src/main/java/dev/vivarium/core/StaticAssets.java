package dev.vivarium.core;

import dev.vivarium.core.deploy.Assets;
import dev.vivarium.core.http.ServerExchange;
import dev.vivarium.core.routing.RouteSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers GET and HEAD for a deployment's static files before its guest runs (a path with no file
 * goes on to the guest): Content-Type from the name, a strong ETag and Last-Modified with 304s
 * (If-None-Match, else If-Modified-Since), one byte range (206, 416 past the end; If-Range), a
 * {@code .br} or {@code .gz} sibling when Accept-Encoding allows it (with Vary), {@code index.html}
 * for a directory (a directory named without its slash is redirected to it). Files are streamed
 * from disk in 64 KB pieces through {@link ServerExchange#openBody}; nothing is counted in the
 * guests' memory. See {@code docs/bundles.md}.
 */
final class StaticAssets {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.assets");
    private static final int CHUNK = 64 * 1024;
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

    private static final Map<String, String> TYPES =
            Map.ofEntries(
                    Map.entry("html", "text/html; charset=utf-8"),
                    Map.entry("htm", "text/html; charset=utf-8"),
                    Map.entry("css", "text/css; charset=utf-8"),
                    Map.entry("js", "text/javascript; charset=utf-8"),
                    Map.entry("mjs", "text/javascript; charset=utf-8"),
                    Map.entry("json", "application/json"),
                    Map.entry("map", "application/json"),
                    Map.entry("webmanifest", "application/manifest+json"),
                    Map.entry("txt", "text/plain; charset=utf-8"),
                    Map.entry("md", "text/markdown; charset=utf-8"),
                    Map.entry("csv", "text/csv; charset=utf-8"),
                    Map.entry("xml", "application/xml"),
                    Map.entry("svg", "image/svg+xml"),
                    Map.entry("png", "image/png"),
                    Map.entry("jpg", "image/jpeg"),
                    Map.entry("jpeg", "image/jpeg"),
                    Map.entry("gif", "image/gif"),
                    Map.entry("webp", "image/webp"),
                    Map.entry("avif", "image/avif"),
                    Map.entry("ico", "image/x-icon"),
                    Map.entry("woff", "font/woff"),
                    Map.entry("woff2", "font/woff2"),
                    Map.entry("ttf", "font/ttf"),
                    Map.entry("otf", "font/otf"),
                    Map.entry("wasm", "application/wasm"),
                    Map.entry("pdf", "application/pdf"),
                    Map.entry("zip", "application/zip"),
                    Map.entry("gz", "application/gzip"),
                    Map.entry("mp4", "video/mp4"),
                    Map.entry("webm", "video/webm"),
                    Map.entry("mp3", "audio/mpeg"),
                    Map.entry("ogg", "audio/ogg"));

    private StaticAssets() {}

    /**
     * Answers the request from {@code assets} when it names one of them.
     *
     * @return false, having touched nothing, when the guest should answer it
     */
    static boolean serve(ServerExchange x, RouteSpec spec, String path, Assets assets)
            throws IOException {
        String method = x.method();
        boolean head = method.equals("HEAD");
        if (!head && !method.equals("GET")) {
            return false;
        }
        if (!spec.path().endsWith("/*")) {
            return false; // an exact route has no tree below it
        }
        String prefix = spec.path().substring(0, spec.path().length() - 2);
        String relative = path.substring(Math.min(prefix.length(), path.length()));
        boolean bare = relative.isEmpty(); // "/app" for "/app/*"
        if (relative.startsWith("/")) {
            relative = relative.substring(1);
        }
        Assets.Lookup found = assets.find(relative);
        if (found == null) {
            return false;
        }
        if (found instanceof Assets.Refused refused) {
            x.sendError(400, "bad asset path: " + refused.why(), () -> {});
            return true;
        }
        if (bare || found instanceof Assets.Redirect) {
            // "/app" for "/app/*", or a directory without its slash: its index.html is served at
            // the path with the slash, so that the page's relative links resolve
            redirectToDirectory(x);
            return true;
        }
        send(x, (Assets.Found) found, head);
        return true;
    }

    private static void redirectToDirectory(ServerExchange x) throws IOException {
        String target = x.target() == null || x.target().isEmpty() ? "/" : x.target();
        int q = target.indexOf('?');
        String location = q < 0 ? target + "/" : target.substring(0, q) + "/" + target.substring(q);
        x.setStatus(301);
        x.setHeader("location", location);
        x.write(new byte[0], () -> {});
    }

    private static void send(ServerExchange x, Assets.Found found, boolean head)
            throws IOException {
        Headers h = x.headers();
        Assets.Asset a = found.asset();
        Assets.Asset sent = a;
        String encoding = null;
        String accept = h.first("accept-encoding");
        if (found.brotli() != null && accepts(accept, "br")) {
            sent = found.brotli();
            encoding = "br";
        } else if (found.gzip() != null && accepts(accept, "gzip")) {
            sent = found.gzip();
            encoding = "gzip";
        }
        Instant modified = sent.lastModified().truncatedTo(ChronoUnit.SECONDS);
        String lastModified = HTTP_DATE.format(ZonedDateTime.ofInstant(modified, ZoneOffset.UTC));
        boolean vary = found.brotli() != null || found.gzip() != null;

        String ifNoneMatch = h.first("if-none-match");
        boolean notModified;
        if (ifNoneMatch != null) {
            notModified = etagMatches(ifNoneMatch, sent.etag());
        } else {
            Instant since = date(h.first("if-modified-since"));
            notModified = since != null && !modified.isAfter(since);
        }
        if (notModified) {
            x.setStatus(304);
            validators(x, sent, lastModified, vary);
            x.write(new byte[0], () -> {});
            return;
        }

        long size = sent.size();
        long start = 0;
        long end = size - 1;
        int status = 200;
        String range = h.first("range");
        if (range != null && ifRangeHolds(h.first("if-range"), sent.etag(), modified)) {
            long[] r = parseRange(range, size);
            if (r == UNSATISFIABLE) {
                x.setStatus(416);
                x.setHeader("content-range", "bytes */" + size);
                x.setHeader("accept-ranges", "bytes");
                x.write(new byte[0], () -> {});
                return;
            }
            if (r != null) {
                start = r[0];
                end = r[1];
                status = 206;
            }
        }
        x.setStatus(status);
        x.setHeader("content-type", contentType(a.path()));
        validators(x, sent, lastModified, vary);
        x.setHeader("accept-ranges", "bytes");
        if (encoding != null) {
            x.setHeader("content-encoding", encoding);
        }
        if (status == 206) {
            x.setHeader("content-range", "bytes " + start + "-" + end + "/" + size);
        }
        long length = size == 0 ? 0 : end - start + 1;
        try (SeekableByteChannel in =
                        Files.newByteChannel(
                                sent.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                OutputStream out = x.openBody(length)) {
            if (!head) {
                copy(in, start, length, out);
            }
        } catch (IOException e) {
            // the client left, or the file went with a replaced version: the exchange has failed
            LOG.debug("asset {} to {} ended: {}", sent.file(), x.target(), e.toString());
        }
    }

    private static void validators(
            ServerExchange x, Assets.Asset a, String lastModified, boolean vary) {
        x.setHeader("etag", a.etag());
        x.setHeader("last-modified", lastModified);
        if (vary) {
            x.setHeader("vary", "Accept-Encoding");
        }
    }

    private static void copy(SeekableByteChannel in, long start, long length, OutputStream out)
            throws IOException {
        in.position(start);
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, length)));
        long left = length;
        while (left > 0) {
            buf.clear();
            if (left < buf.capacity()) {
                buf.limit((int) left);
            }
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("the file is shorter than it was");
            }
            out.write(buf.array(), 0, n);
            left -= n;
        }
    }

    static String contentType(String path) {
        int dot = path.lastIndexOf('.');
        if (dot < 0 || dot < path.lastIndexOf('/')) {
            return "application/octet-stream";
        }
        String ext = path.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    /** Whether Accept-Encoding allows {@code coding} (named, or {@code *}, with q above 0). */
    static boolean accepts(String acceptEncoding, String coding) {
        if (acceptEncoding == null) {
            return false;
        }
        Double named = null;
        Double star = null;
        for (String part : acceptEncoding.split(",")) {
            String[] p = part.strip().split(";");
            String name = p[0].strip().toLowerCase(Locale.ROOT);
            double q = 1;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].strip();
                if (param.startsWith("q=") || param.startsWith("Q=")) {
                    try {
                        q = Double.parseDouble(param.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (name.equals(coding) || (coding.equals("gzip") && name.equals("x-gzip"))) {
                named = q;
            } else if (name.equals("*")) {
                star = q;
            }
        }
        double q = named != null ? named : star != null ? star : 0;
        return q > 0;
    }

    /** If-None-Match: {@code *} or a list of (weak or strong) tags, compared weakly. */
    static boolean etagMatches(String ifNoneMatch, String etag) {
        String v = ifNoneMatch.strip();
        if (v.equals("*")) {
            return true;
        }
        for (String tag : v.split(",")) {
            String t = tag.strip();
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.equals(etag)) {
                return true;
            }
        }
        return false;
    }

    /** An If-Range that still holds: the same strong ETag, or the exact Last-Modified date. */
    private static boolean ifRangeHolds(String ifRange, String etag, Instant modified) {
        if (ifRange == null) {
            return true;
        }
        String v = ifRange.strip();
        if (v.startsWith("\"")) {
            return v.equals(etag);
        }
        Instant d = date(v);
        return d != null && d.equals(modified);
    }

    private static Instant date(String v) {
        if (v == null) {
            return null;
        }
        try {
            return ZonedDateTime.parse(v.strip(), HTTP_DATE).toInstant();
        } catch (DateTimeParseException e) {
            return null; // an invalid date is ignored (RFC 9110, 13.1.3)
        }
    }

    private static final long[] UNSATISFIABLE = new long[0];

    /**
     * One range of {@code bytes=a-b}, {@code bytes=a-} or {@code bytes=-n}, clipped to the file;
     * null to send the whole file (no range, a syntax it does not know, several ranges);
     * UNSATISFIABLE when it starts past the end.
     */
    static long[] parseRange(String header, long size) {
        String v = header.strip();
        if (!v.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        String spec = v.substring(6).strip();
        if (spec.contains(",")) {
            return null; // several ranges: the whole file is a valid answer (RFC 9110, 14.2)
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        String first = spec.substring(0, dash).strip();
        String last = spec.substring(dash + 1).strip();
        try {
            if (first.isEmpty()) {
                if (last.isEmpty()) {
                    return null;
                }
                long n = Long.parseLong(last);
                if (n <= 0) {
                    return UNSATISFIABLE;
                }
                if (size == 0) {
                    return UNSATISFIABLE;
                }
                return new long[] {Math.max(0, size - n), size - 1};
            }
            long a = Long.parseLong(first);
            long b = last.isEmpty() ? size - 1 : Long.parseLong(last);
            if (a < 0) {
                return null;
            }
            if (a >= size) {
                return UNSATISFIABLE;
            }
            if (b < a) {
                return null;
            }
            return new long[] {a, Math.min(b, size - 1)};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
