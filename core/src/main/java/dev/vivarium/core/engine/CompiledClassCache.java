package dev.vivarium.core.engine;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chicory's compiled classes of a guest, kept on disk so that a module compiled once (by this
 * process or another one sharing the directory) is loaded again without compiling: defining and
 * verifying the classes of a 60 KB Rust guest takes about a tenth of generating them
 * (bench/README.md, "Deploy and start latency").
 *
 * <p>An entry is keyed by the module's SHA-256 and by everything else that changes the generated
 * code: Chicory's compiler and runtime versions and {@link GuestLoader#CODE_VERSION} (what the
 * loader hands the compiler: transforms, compile options). Its file repeats that key and carries
 * the length and SHA-256 of the classes, so a truncated, corrupt or foreign entry (another key's
 * content under this name) is refused, deleted and compiled again, never loaded. Entries are
 * written to a temporary file and moved into place atomically, so processes sharing the directory
 * never read half a file (two writing the same entry write the same bytes). The directory is kept
 * under {@code maxBytes} by deleting the least recently used entries after each write.
 *
 * <p>The classes run with the server's own rights, like any class on its class path: the directory
 * must be writable by the server's user only. One that others may write (or that belongs to another
 * user) is not used, with a warning; so is one that cannot be created or written: the guest is then
 * compiled as without a cache.
 */
public final class CompiledClassCache {
    private static final Logger LOG = LoggerFactory.getLogger(CompiledClassCache.class);

    /** The first line of every entry; a new layout gets a new line. */
    private static final byte[] MAGIC =
            "vivarium-compiled-classes 1\n".getBytes(StandardCharsets.US_ASCII);

    static final String SUFFIX = ".classes";
    private static final String TEMP_PREFIX = ".tmp-";

    /** A temporary file this old was left by a process that died while writing it. */
    private static final Duration STALE_TEMP = Duration.ofMinutes(10);

    private static final CompiledClassCache DISABLED = new CompiledClassCache(null, 0, "disabled");

    private static volatile CompiledClassCache installed;
    private static String installedFor;

    /** Chicory's compiler and runtime versions, as far as the class path tells them. */
    static final String CHICORY_VERSION = chicoryVersion();

    /**
     * The version of Chicory's wabt artifact (its {@code wat2wasm} converts WebAssembly text), read
     * without loading wabt's classes; null when unknown, and then no conversion is cached.
     */
    static final String WABT_VERSION = wabtVersion();

    private static String wabtVersion() {
        try (InputStream in =
                CompiledClassCache.class.getResourceAsStream(
                        "/META-INF/maven/com.dylibso.chicory/wabt/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                return v == null || v.isBlank() ? null : v.trim();
            }
        } catch (IOException e) {
            // unknown
        }
        return null;
    }

    private static String chicoryVersion() {
        String compiler = version("compiler", MachineFactoryCompiler.class);
        String runtime = version("runtime", Instance.class);
        // unknown: nothing could tell an old entry from a new one, so none is kept
        return compiler == null || runtime == null ? null : compiler + "/" + runtime;
    }

    private final Path directory;
    private final long maxBytes;
    private final String why;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong writeFailures = new AtomicLong();
    private volatile boolean warnedWrite;

    private CompiledClassCache(Path directory, long maxBytes, String why) {
        this.directory = directory;
        this.maxBytes = maxBytes;
        this.why = why;
    }

    /**
     * A cache in {@code directory} (created when missing) of at most {@code maxBytes}; disabled,
     * with a warning, when the directory cannot be created or others may write it; disabled quietly
     * when {@code maxBytes} is 0.
     */
    public static CompiledClassCache open(Path directory, long maxBytes) {
        if (maxBytes <= 0 || directory == null) {
            return DISABLED;
        }
        Path dir = directory.toAbsolutePath().normalize();
        try {
            if (!Files.isDirectory(dir)) {
                createPrivate(dir);
            }
            String unsafe = unsafe(dir);
            if (unsafe != null) {
                LOG.warn(
                        "Compiled guest classes are not cached in {}: {}; guests are compiled at"
                                + " every start (setting compileCache.directory)",
                        dir,
                        unsafe);
                return new CompiledClassCache(null, 0, unsafe);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "Compiled guest classes are not cached: cannot create {}: {}; guests are"
                            + " compiled at every start (setting compileCache.directory)",
                    dir,
                    e.toString());
            return new CompiledClassCache(null, 0, "cannot create " + dir);
        }
        return new CompiledClassCache(dir, maxBytes, null);
    }

    /** No cache: every guest is compiled. */
    public static CompiledClassCache disabled() {
        return DISABLED;
    }

    /** The default directory: {@code vivarium-compiled-USER} in {@code java.io.tmpdir}. */
    public static Path defaultDirectory() {
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "vivarium-compiled-" + user);
    }

    /** The default {@code compileCache.maxSize}. */
    public static final long DEFAULT_MAX_BYTES = 256L << 20;

    /**
     * The cache the loader uses from now on, in this JVM (the engine installs the one its settings
     * name when it starts); by default the {@link #defaultDirectory()} one.
     */
    public static synchronized void install(CompiledClassCache cache) {
        installed = java.util.Objects.requireNonNull(cache, "cache");
        installedFor = null;
    }

    /**
     * Installs the cache of this directory and size, unless the installed one is already it (so its
     * counts go on); for the engine's start.
     */
    public static synchronized void installFor(Path directory, long maxBytes) {
        String wanted =
                (directory == null ? null : directory.toAbsolutePath().normalize())
                        + "|"
                        + maxBytes;
        if (installed == null || !wanted.equals(installedFor)) {
            installed = open(directory, maxBytes);
            installedFor = wanted;
        }
    }

    /** The cache {@link GuestLoader} uses. */
    public static CompiledClassCache installed() {
        CompiledClassCache c = installed;
        if (c == null) {
            synchronized (CompiledClassCache.class) {
                if (installed == null) {
                    installed = open(defaultDirectory(), DEFAULT_MAX_BYTES);
                }
                c = installed;
            }
        }
        return c;
    }

    /** Whether entries are read and written at all. */
    public boolean enabled() {
        return directory != null;
    }

    /** The directory, or null when disabled. */
    public Path directory() {
        return directory;
    }

    /** Entries found and loaded. */
    public long hits() {
        return hits.get();
    }

    /** Lookups that found no entry. */
    public long misses() {
        return misses.get();
    }

    /** Entries found but refused (truncated, corrupt, foreign) or failing to load; deleted. */
    public long rejected() {
        return rejected.get();
    }

    /** Entries that could not be written. */
    public long writeFailures() {
        return writeFailures.get();
    }

    @Override
    public String toString() {
        return directory != null
                ? "CompiledClassCache[" + directory + ", max " + maxBytes + " bytes]"
                : "CompiledClassCache[disabled: " + why + "]";
    }

    /**
     * The entry of a module, given as Chicory's compiler wants it ({@link
     * MachineFactoryCompiler.Builder#withCache}); it ignores the key the compiler gives it (the
     * module's own digest) for its own, which also covers {@code codeVersion}.
     *
     * @param moduleSha256 the SHA-256 of the module's binary form, in hex
     * @param codeVersion what else changes the generated code (the loader's transforms and compile
     *     options)
     */
    Entry entry(String moduleSha256, String codeVersion) {
        return new Entry(moduleSha256, codeVersion);
    }

    /** One module's entry; remembers the classes it loaded or stored ({@link #jar()}). */
    final class Entry implements Cache {
        private final String key;
        private final Path file;
        private byte[] jar;
        private boolean hit;
        private boolean refused;
        private boolean read;

        /** The module the classes were compiled from, when it is not the cached one's binary. */
        private byte[] binary;

        private Entry(String moduleSha256, String codeVersion) {
            this.key =
                    "module="
                            + moduleSha256
                            + "\nchicory="
                            + CHICORY_VERSION
                            + "\ncode="
                            + codeVersion
                            + "\n";
            this.file =
                    directory == null || CHICORY_VERSION == null
                            ? null
                            : directory.resolve(
                                    sha256Hex(key.getBytes(StandardCharsets.UTF_8)) + SUFFIX);
        }

        /**
         * Stores {@code compiledFrom} (the binary the compiler got, e.g. after {@link
         * FunctionSplitter}) with the classes the next {@link #putIfAbsent} writes, so that a hit
         * needs no transform again and classes and binary never come from different writes.
         */
        void attach(byte[] compiledFrom) {
            binary = compiledFrom;
        }

        /** The binary stored with the classes of a hit (see {@link #attach}), or null. */
        byte[] binary() {
            return hit ? binary : null;
        }

        /** The compiled classes as Chicory stores them (a jar), once loaded or compiled. */
        byte[] jar() {
            return jar;
        }

        /** Whether {@link #get} found a valid entry. */
        boolean hit() {
            return hit;
        }

        Path file() {
            return file;
        }

        /**
         * The classes of a valid entry, or null (no entry, or one refused and deleted); the file is
         * read once, later calls answer the same.
         */
        @Override
        public byte[] get(String ignored) {
            if (file == null || refused) {
                return null;
            }
            if (read) {
                return hit ? jar : null;
            }
            read = true;
            byte[] content;
            try {
                content = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                misses.incrementAndGet();
                return null;
            } catch (IOException e) {
                LOG.debug("cannot read {}", file, e);
                misses.incrementAndGet();
                return null;
            }
            byte[] payload = decode(content);
            if (payload != null) {
                payload = unpack(payload);
            }
            if (payload == null) {
                reject("truncated, corrupt or written for another module or version");
                return null;
            }
            hits.incrementAndGet();
            hit = true;
            jar = payload;
            try {
                // what the least recently used are judged by
                Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
            } catch (IOException | RuntimeException e) {
                // read-only: still a hit
            }
            return payload;
        }

        @Override
        public void putIfAbsent(String ignored, byte[] compiledJar) {
            jar = compiledJar;
            if (file == null) {
                return;
            }
            Path temp = null;
            try {
                temp = Files.createTempFile(directory, TEMP_PREFIX, SUFFIX);
                Files.write(temp, encode(pack(compiledJar)));
                try {
                    Files.move(
                            temp,
                            file,
                            StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    // never half a file: readers check the length and hash anyway
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
                temp = null;
                trim();
            } catch (IOException | RuntimeException e) {
                writeFailures.incrementAndGet();
                if (!warnedWrite) {
                    warnedWrite = true;
                    LOG.warn(
                            "Cannot write compiled guest classes to {} ({}); guests are compiled"
                                    + " as without a cache (setting compileCache.directory)",
                            directory,
                            e.toString());
                }
            } finally {
                if (temp != null) {
                    try {
                        Files.deleteIfExists(temp);
                    } catch (IOException e) {
                        // trim() removes it once stale
                    }
                }
            }
        }

        /** Deletes this entry: it was refused or its classes did not load. */
        void reject(String reason) {
            rejected.incrementAndGet();
            refused = true;
            hit = false;
            jar = null;
            binary = null;
            LOG.warn("Compiled guest classes {} refused ({}); compiling again", file, reason);
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // overwritten by the next putIfAbsent
            }
        }

        /** The attached binary's length (4 bytes), the binary, then the jar. */
        private byte[] pack(byte[] compiledJar) {
            byte[] b = binary == null ? new byte[0] : binary;
            return ByteBuffer.allocate(4 + b.length + compiledJar.length)
                    .putInt(b.length)
                    .put(b)
                    .put(compiledJar)
                    .array();
        }

        /** The jar of a packed payload, the binary kept aside; null when inconsistent. */
        private byte[] unpack(byte[] payload) {
            if (payload.length < 4) {
                return null;
            }
            int length = ByteBuffer.wrap(payload).getInt();
            if (length < 0 || length > payload.length - 4) {
                return null;
            }
            binary = length == 0 ? null : Arrays.copyOfRange(payload, 4, 4 + length);
            return Arrays.copyOfRange(payload, 4 + length, payload.length);
        }

        private byte[] encode(byte[] payload) {
            byte[] header =
                    (key + "length=" + payload.length + "\nsha256=" + sha256Hex(payload) + "\n\n")
                            .getBytes(StandardCharsets.UTF_8);
            ByteBuffer out = ByteBuffer.allocate(MAGIC.length + header.length + payload.length);
            return out.put(MAGIC).put(header).put(payload).array();
        }

        /** The payload of a valid entry of this key, or null. */
        private byte[] decode(byte[] content) {
            byte[] expected = (key + "length=").getBytes(StandardCharsets.UTF_8);
            int at = MAGIC.length;
            if (content.length < at + expected.length
                    || !Arrays.equals(content, 0, at, MAGIC, 0, at)
                    || !Arrays.equals(
                            content, at, at + expected.length, expected, 0, expected.length)) {
                return null;
            }
            at += expected.length;
            int end = indexOf(content, at, "\n\n");
            if (end < 0) {
                return null;
            }
            String[] rest = new String(content, at, end - at, StandardCharsets.UTF_8).split("\n");
            if (rest.length != 2 || !rest[1].startsWith("sha256=")) {
                return null;
            }
            long length;
            try {
                length = Long.parseLong(rest[0]);
            } catch (NumberFormatException e) {
                return null;
            }
            int start = end + 2;
            if (length != content.length - (long) start) {
                return null;
            }
            byte[] payload = Arrays.copyOfRange(content, start, content.length);
            return rest[1].substring(7).equals(sha256Hex(payload)) ? payload : null;
        }
    }

    /** Deletes the least recently used entries while the directory holds more than maxBytes. */
    private void trim() throws IOException {
        record Found(Path path, long size, long modified) {}
        List<Found> entries = new ArrayList<>();
        long total = 0;
        long now = System.currentTimeMillis();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                try {
                    long modified = Files.getLastModifiedTime(p).toMillis();
                    if (name.startsWith(TEMP_PREFIX)) {
                        if (now - modified > STALE_TEMP.toMillis()) {
                            Files.deleteIfExists(p);
                        }
                    } else if (name.endsWith(SUFFIX)) {
                        long size = Files.size(p);
                        total += size;
                        entries.add(new Found(p, size, modified));
                    }
                } catch (NoSuchFileException e) {
                    // another process trimmed it
                }
            }
        }
        if (total <= maxBytes) {
            return;
        }
        entries.sort(Comparator.comparingLong(Found::modified));
        for (Found f : entries) {
            if (total <= maxBytes) {
                break;
            }
            Files.deleteIfExists(f.path());
            total -= f.size();
        }
    }

    private static void createPrivate(Path dir) throws IOException {
        try {
            Files.createDirectories(
                    dir,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(dir);
        }
    }

    /**
     * Why others could put classes into {@code dir}, or null when only this process's user (or
     * root, e.g. for a cache prepared in an image) can.
     */
    private static String unsafe(Path dir) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
            if (perms.contains(PosixFilePermission.OTHERS_WRITE)
                    || perms.contains(PosixFilePermission.GROUP_WRITE)) {
                return "others may write it ("
                        + PosixFilePermissions.toString(perms)
                        + "), and its classes would run with the server's rights";
            }
        } catch (UnsupportedOperationException e) {
            // not POSIX
        }
        try {
            UserPrincipal owner = Files.getOwner(dir);
            UserPrincipal me = currentUser(dir);
            if (!owner.equals(me) && !"root".equals(owner.getName())) {
                return "it belongs to " + owner.getName() + ", not to " + me.getName();
            }
        } catch (UnsupportedOperationException e) {
            // no owners on this file system
        }
        return null;
    }

    /** This process's user as the file system names it: the owner of a file it creates. */
    private static UserPrincipal currentUser(Path dir) throws IOException {
        Path probe;
        try {
            probe = Files.createTempFile(dir, TEMP_PREFIX, ".probe");
        } catch (IOException e) {
            // read-only for us: judge by name
            return dir.getFileSystem()
                    .getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
        }
        try {
            return Files.getOwner(probe);
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private static int indexOf(byte[] a, int from, String what) {
        byte[] w = what.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = from; i <= a.length - w.length; i++) {
            for (int j = 0; j < w.length; j++) {
                if (a[i + j] != w[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * The Maven version of a Chicory artifact, from its {@code pom.properties}; when a repackaged
     * jar dropped it, the SHA-256 of the class's own bytes (so any change of it still counts); null
     * when neither can be read.
     */
    private static String version(String artifact, Class<?> type) {
        try (InputStream in =
                type.getResourceAsStream(
                        "/META-INF/maven/com.dylibso.chicory/" + artifact + "/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.isBlank()) {
                    return v.trim();
                }
            }
        } catch (IOException e) {
            // fall through
        }
        try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class")) {
            if (in != null) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                in.transferTo(out);
                return "class-sha256:" + sha256Hex(out.toByteArray());
            }
        } catch (IOException e) {
            // fall through
        }
        return null;
    }
}
