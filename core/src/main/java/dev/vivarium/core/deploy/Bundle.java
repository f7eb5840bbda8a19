package dev.vivarium.core.deploy;

import dev.vivarium.core.log.Clip;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * An upload that is a bundle (zip, or tar.gz; told by its first bytes, not by a name) unpacked: its
 * one module, its {@code vivarium.toml} and its {@code assets/} tree, written under a directory of
 * its own while it is read. Everything else is bad input, refused with a 400 that names it: an
 * entry outside those three, a name with {@code ..} or that starts with {@code /}, a link or a
 * device in a tar, the same name twice, no module or a second one, more entries or more bytes than
 * {@link BundleLimits} allow (counted as they are inflated, whatever the headers claim).
 *
 * <p>The directory holds {@code assets/} and {@code etags} (one {@code "path" etag} line per file,
 * strong ETags from the content's SHA-256), what {@link dev.vivarium.core.deploy.Assets} serves.
 */
public final class Bundle {
    /** The file beside {@code assets/} with each asset's ETag. */
    public static final String ETAGS = "etags";

    static final String ASSETS = "assets/";

    private final byte[] module;
    private final String moduleName;
    private final BundleManifest manifest;
    private final Path directory;
    private final int assetCount;

    private Bundle(
            byte[] module,
            String moduleName,
            BundleManifest manifest,
            Path directory,
            int assetCount) {
        this.module = module;
        this.moduleName = moduleName;
        this.manifest = manifest;
        this.directory = directory;
        this.assetCount = assetCount;
    }

    /** The module's bytes ({@code .wasm} or WebAssembly text). */
    public byte[] module() {
        return module;
    }

    /** The module's name in the bundle, e.g. {@code target/hello.wasm}. */
    public String moduleName() {
        return moduleName;
    }

    public BundleManifest manifest() {
        return manifest;
    }

    /** The directory holding {@code assets/} and {@code etags}. */
    public Path directory() {
        return directory;
    }

    /** How many asset files it has. */
    public int assetCount() {
        return assetCount;
    }

    /** Whether an upload's body is a zip or a gzip (tar.gz) archive, by its magic bytes. */
    public static boolean isBundle(byte[] body) {
        return isZip(body) || isGzip(body);
    }

    private static boolean isZip(byte[] b) {
        return b.length >= 4
                && b[0] == 'P'
                && b[1] == 'K'
                && ((b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6));
    }

    private static boolean isGzip(byte[] b) {
        return b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
    }

    /**
     * Unpacks a bundle into {@code directory} (created; it must not exist). On failure the
     * directory is deleted again.
     *
     * @param time the modification time of assets whose archive entry has none
     * @throws UploadException 400 naming what is wrong with the bundle
     */
    public static Bundle unpack(byte[] body, BundleLimits limits, Path directory, Instant time) {
        Unpacker u = new Unpacker(limits, directory, time);
        try {
            Files.createDirectories(directory.getParent());
            Files.createDirectory(directory);
            if (isZip(body)) {
                u.zip(body);
            } else if (isGzip(body)) {
                u.tar(body);
            } else {
                throw bad("not a zip or tar.gz archive");
            }
            return u.finish();
        } catch (UploadException e) {
            delete(directory);
            throw e;
        } catch (ZipException | EOFException | TarReader.BadArchive e) {
            // ZipException: a bad zip or gzip stream; EOFException: one that ends too soon
            delete(directory);
            throw bad("not a readable archive: " + e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            delete(directory);
            throw new UploadException(
                    500, "cannot unpack the bundle into " + directory + ": " + e, e);
        }
    }

    /** Deletes a bundle's directory and everything in it; quietly, as far as it can. */
    public static void delete(Path directory) {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        try (var walk = Files.walk(directory)) {
            walk.sorted(java.util.Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    // what is left is deleted with the next version
                                }
                            });
        } catch (IOException | UncheckedIOException e) {
            // as above
        }
    }

    static UploadException bad(String message) {
        return new UploadException(400, "bundle: " + message);
    }

    /** Reads entries, checks each name and the limits, writes the assets as they come. */
    private static final class Unpacker {
        private final BundleLimits limits;
        private final Path directory;
        private final Path assets;
        private final Instant time;
        private final Set<String> names = new HashSet<>();
        private final TreeMap<String, String> etags = new TreeMap<>();
        private byte[] module;
        private String moduleName;
        private byte[] manifest;
        private int entries;
        private long total;

        Unpacker(BundleLimits limits, Path directory, Instant time) {
            this.limits = limits;
            this.directory = directory;
            this.assets = directory.resolve("assets");
            this.time = time;
        }

        void zip(byte[] body) throws IOException {
            try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(body))) {
                ZipEntry e;
                while ((e = in.getNextEntry()) != null) {
                    Instant t =
                            e.getLastModifiedTime() == null
                                    ? null
                                    : e.getLastModifiedTime().toInstant();
                    entry(e.getName(), e.isDirectory(), in, t);
                }
            }
        }

        void tar(byte[] body) throws IOException {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body), 8192)) {
                TarReader tar = new TarReader(in);
                TarReader.Entry e;
                while ((e = tar.next()) != null) {
                    switch (e.type()) {
                        case FILE -> entry(e.name(), false, tar.data(), e.mtime());
                        case DIRECTORY -> entry(e.name(), true, tar.data(), e.mtime());
                        case SYMLINK ->
                                throw bad(
                                        "entry '"
                                                + clip(e.name())
                                                + "' is a symbolic link; links are refused");
                        case HARDLINK ->
                                throw bad(
                                        "entry '"
                                                + clip(e.name())
                                                + "' is a hard link; links are refused");
                        case OTHER ->
                                throw bad(
                                        "entry '"
                                                + clip(e.name())
                                                + "' is not a file or a directory (a device or a"
                                                + " fifo); refused");
                    }
                }
            }
        }

        void entry(String rawName, boolean isDirectory, InputStream data, Instant mtime)
                throws IOException {
            if (++entries > limits.maxEntries()) {
                throw bad(
                        "more than "
                                + limits.maxEntries()
                                + " entries (deployments.bundle.maxEntries)");
            }
            String name = normalize(rawName, isDirectory);
            if (name.isEmpty()) {
                return; // "./" itself
            }
            if (!names.add(name)) {
                throw bad("entry '" + clip(name) + "' appears twice");
            }
            if (isDirectory) {
                if (name.equals("assets") || name.startsWith(ASSETS)) {
                    directories(
                            name,
                            assets.resolve(
                                    name.substring("assets".length()).replaceFirst("^/", "")));
                }
                return;
            }
            if (name.equals(BundleManifest.FILE)) {
                manifest = readSmall(name, data, 64 * 1024);
            } else if (name.startsWith(ASSETS) && name.length() > ASSETS.length()) {
                asset(name, name.substring(ASSETS.length()), data, mtime);
            } else if ((name.endsWith(".wasm") || name.endsWith(".wat"))
                    && !name.startsWith(ASSETS)) {
                if (module != null) {
                    throw bad(
                            "a second module '"
                                    + clip(name)
                                    + "' besides '"
                                    + clip(moduleName)
                                    + "'; a bundle holds one module (.wasm or .wat)");
                }
                moduleName = name;
                module = readSmall(name, data, limits.maxEntrySize());
            } else {
                throw bad(
                        "unexpected entry '"
                                + clip(name)
                                + "'; a bundle holds "
                                + BundleManifest.FILE
                                + ", one module (.wasm or .wat) and an assets/ tree");
            }
        }

        private void asset(String name, String relative, InputStream data, Instant mtime)
                throws IOException {
            Path file = assets.resolve(relative).normalize();
            if (!file.startsWith(assets)) {
                throw bad("entry '" + clip(name) + "' points outside assets/");
            }
            directories(name, file.getParent());
            MessageDigest sha = sha256();
            try (OutputStream out =
                    Files.newOutputStream(
                            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[16384];
                long size = 0;
                int n;
                while ((n = data.read(buf)) > 0) {
                    size += n;
                    count(name, size, n);
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            } catch (FileAlreadyExistsException e) {
                throw bad("entry '" + clip(name) + "' appears twice");
            }
            Files.setLastModifiedTime(file, FileTime.from(mtime != null ? mtime : time));
            etags.put(relative, "\"" + HexFormat.of().formatHex(sha.digest(), 0, 16) + "\"");
        }

        /** Creates a directory and its parents; a file already in the way is the bundle's fault. */
        private void directories(String name, Path dir) throws IOException {
            try {
                Files.createDirectories(dir);
            } catch (FileAlreadyExistsException e) {
                throw bad(
                        "entry '" + clip(name) + "' needs a directory where the bundle has a file");
            }
        }

        private byte[] readSmall(String name, InputStream data, long max) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            long size = 0;
            int n;
            while ((n = data.read(buf)) > 0) {
                size += n;
                if (size > max) {
                    throw bad("entry '" + clip(name) + "' is larger than " + max + " bytes");
                }
                count(name, size, n);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }

        /** Counts inflated bytes, whatever the archive's headers said. */
        private void count(String name, long entrySize, int more) {
            total += more;
            if (entrySize > limits.maxEntrySize()) {
                throw bad(
                        "entry '"
                                + clip(name)
                                + "' is larger than "
                                + limits.maxEntrySize()
                                + " bytes uncompressed (deployments.bundle.maxEntrySize)");
            }
            if (total > limits.maxTotalSize()) {
                throw bad(
                        "larger than "
                                + limits.maxTotalSize()
                                + " bytes uncompressed (deployments.bundle.maxTotalSize)");
            }
        }

        Bundle finish() throws IOException {
            if (module == null) {
                throw bad(
                        "no module: a bundle holds one .wasm or .wat file (outside assets/)"
                                + " beside "
                                + BundleManifest.FILE
                                + " and assets/");
            }
            BundleManifest m =
                    manifest == null ? BundleManifest.NONE : BundleManifest.parse(manifest);
            StringBuilder lines = new StringBuilder();
            etags.forEach(
                    (path, tag) -> lines.append(quote(path)).append(' ').append(tag).append('\n'));
            Files.writeString(directory.resolve(ETAGS), lines, StandardCharsets.UTF_8);
            return new Bundle(module, moduleName, m, directory, etags.size());
        }
    }

    /** A path as one token of the etags file: JSON-ish quoting of {@code "} and {@code \}. */
    static String quote(String path) {
        return "\"" + path.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    /**
     * The entry's name as a relative path with {@code /} separators and no trailing slash; refuses
     * what could land outside the bundle's directory.
     */
    static String normalize(String raw, boolean isDirectory) {
        String name = raw;
        if (name.isEmpty()) {
            throw bad("an entry has an empty name");
        }
        if (name.indexOf('\0') >= 0 || name.indexOf('\\') >= 0) {
            throw bad("entry '" + clip(name) + "' has a backslash or a NUL in its name");
        }
        if (name.startsWith("/") || name.matches("^[A-Za-z]:.*")) {
            throw bad("entry '" + clip(name) + "' has an absolute path");
        }
        while (name.startsWith("./")) {
            name = name.substring(2);
        }
        if (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty() || name.equals(".")) {
            if (isDirectory) {
                return "";
            }
            throw bad("entry '" + clip(raw) + "' has no file name");
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                throw bad("entry '" + clip(raw) + "' has '..' in its path (path traversal)");
            }
            if (segment.isEmpty() || segment.equals(".")) {
                throw bad("entry '" + clip(raw) + "' has an empty or '.' segment in its path");
            }
        }
        return name;
    }

    private static String clip(String s) {
        return Clip.clip(s, 120);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
