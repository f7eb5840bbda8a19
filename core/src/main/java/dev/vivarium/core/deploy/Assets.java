package dev.vivarium.core.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A deployment's static files, the {@code assets/} tree of its bundle on disk: only the files the
 * bundle brought are served (their list and ETags were written when it was unpacked), never through
 * a symbolic link, never outside the tree. Files are opened per request and streamed; none is held
 * in memory.
 */
public final class Assets {
    private final Path root;
    private final Map<String, String> etags;

    private Assets(Path root, Map<String, String> etags) {
        this.root = root;
        this.etags = Map.copyOf(etags);
    }

    /** A file to send: its path on disk, strong ETag, size and modification time. */
    public record Asset(String path, Path file, String etag, long size, Instant lastModified) {}

    /** What a request path names: a file, a directory to redirect to (with '/'), or nothing. */
    public sealed interface Lookup permits Found, Redirect, Refused {}

    /** A file, and its precompressed siblings when the bundle has them. */
    public record Found(Asset asset, Asset gzip, Asset brotli) implements Lookup {}

    /** A directory named without its trailing slash: redirect to {@code path + "/"}. */
    public record Redirect() implements Lookup {}

    /** A path that could leave the tree ({@code ..}, a NUL, a backslash). */
    public record Refused(String why) implements Lookup {}

    /**
     * The assets of a bundle directory ({@link Bundle#directory()}): its {@code assets/} tree and
     * {@code etags} file; null when it has no file.
     *
     * @throws UncheckedIOException if the etags file cannot be read
     */
    public static Assets open(Path bundle) {
        Objects.requireNonNull(bundle, "bundle");
        Map<String, String> etags = new HashMap<>();
        try {
            List<String> lines =
                    Files.readAllLines(bundle.resolve(Bundle.ETAGS), StandardCharsets.UTF_8);
            for (String line : lines) {
                if (line.isEmpty()) {
                    continue;
                }
                int[] end = new int[1];
                String path = unquote(line, end);
                etags.put(path, line.substring(end[0]).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read the assets of " + bundle + ": " + e.getMessage(), e);
        }
        return etags.isEmpty() ? null : new Assets(bundle.resolve("assets"), etags);
    }

    /** How many files there are. */
    public int size() {
        return etags.size();
    }

    /**
     * The asset for a decoded request path below the route's prefix, e.g. {@code css/site.css},
     * {@code ""} or {@code docs/} ({@code index.html} there); null when there is none (the guest
     * answers then).
     */
    public Lookup find(String relative) {
        if (relative.indexOf('\0') >= 0 || relative.indexOf('\\') >= 0) {
            return new Refused("a NUL or a backslash in the path");
        }
        for (String segment : relative.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                return new Refused("'" + segment + "' in the path");
            }
        }
        String path =
                relative.isEmpty() || relative.endsWith("/") ? relative + "index.html" : relative;
        if (!etags.containsKey(path)) {
            return etags.containsKey(path + "/index.html") ? new Redirect() : null;
        }
        Asset a = asset(path);
        if (a == null) {
            return null;
        }
        return new Found(a, asset(path + ".gz"), asset(path + ".br"));
    }

    /** A file the bundle brought that is still a regular file (not a link) inside the tree. */
    private Asset asset(String path) {
        String etag = etags.get(path);
        if (etag == null) {
            return null;
        }
        Path file = root.resolve(path).normalize();
        if (!file.startsWith(root)) {
            return null;
        }
        try {
            // a link anywhere on the way is refused: each parent must be a real directory
            for (Path p = file; !p.equals(root); p = p.getParent()) {
                if (Files.isSymbolicLink(p)) {
                    return null;
                }
            }
            BasicFileAttributes attrs =
                    Files.readAttributes(
                            file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile()) {
                return null;
            }
            return new Asset(path, file, etag, attrs.size(), attrs.lastModifiedTime().toInstant());
        } catch (IOException e) {
            return null;
        }
    }

    private static String unquote(String line, int[] end) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                end[0] = i + 1;
                return b.toString();
            }
            if (c == '\\' && i + 1 < line.length()) {
                char e = line.charAt(++i);
                b.append(e == 'n' ? '\n' : e);
            } else {
                b.append(c);
            }
        }
        throw new IllegalArgumentException("a line of the etags file is not closed: " + line);
    }

    @Override
    public String toString() {
        return etags.size() + " assets in " + root;
    }
}
