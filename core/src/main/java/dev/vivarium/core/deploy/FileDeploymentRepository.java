package dev.vivarium.core.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploaded deployments as files in {@code deployments.directory}: per deployment its module ({@code
 * ID.wasm} or {@code ID.wat}) and {@code ID.deployment}, a properties file with the route and the
 * lifetime; a bundle's assets in {@code .bundles/ID/VERSION/} (unpacked there by {@link Uploads},
 * the older versions deleted once the new one is kept). Each file is written to a temporary name
 * and moved into place, the properties file last, so a crash leaves the previous version or the new
 * one.
 *
 * <p>One process owns the directory: {@link #watch} never calls back (a node that shares its
 * deployments uses a shared repository instead).
 */
public final class FileDeploymentRepository implements DeploymentRepository {
    private static final Logger LOG = LoggerFactory.getLogger("vivarium.deployments");
    static final String META = ".deployment";

    private final Path dir;

    public FileDeploymentRepository(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
    }

    @Override
    public void save(DeploymentRecord d) throws IOException {
        Files.createDirectories(dir);
        atomicWrite(dir.resolve(d.moduleName()), d.module());
        Properties p = new Properties();
        p.setProperty("route", d.route());
        p.setProperty("module", d.moduleName());
        p.setProperty("deployedAt", d.deployedAt().toString());
        p.setProperty("expiresAt", d.expiresAt().toString());
        if (d.bundle() != null) {
            p.setProperty("bundle", d.bundle().toAbsolutePath().toString());
        }
        StringWriter w = new StringWriter();
        p.store(w, "Vivarium uploaded deployment " + d.id());
        atomicWrite(dir.resolve(d.id() + META), w.toString().getBytes(StandardCharsets.UTF_8));
        // the previous version's module, if it was in the other format
        String other = d.moduleName().endsWith(".wasm") ? d.id() + ".wat" : d.id() + ".wasm";
        Files.deleteIfExists(dir.resolve(other));
        deleteBundles(d.id(), d.bundle());
    }

    @Override
    public boolean keepsAssets() {
        return true;
    }

    /** Where {@link Uploads} unpacks the bundles of deployment {@code id}, one directory each. */
    static Path bundles(Path dir, String id) {
        return dir.resolve(".bundles").resolve(id);
    }

    /** Deletes the bundle directories of {@code id} but {@code keep}. */
    private void deleteBundles(String id, Path keep) throws IOException {
        Path bundles = bundles(dir, id);
        if (!Files.isDirectory(bundles)) {
            return;
        }
        List<Path> old = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(bundles)) {
            for (Path b : ds) {
                if (keep == null || !b.toAbsolutePath().equals(keep.toAbsolutePath())) {
                    old.add(b);
                }
            }
        }
        old.forEach(Bundle::delete);
    }

    @Override
    public void delete(String id) throws IOException {
        Files.deleteIfExists(dir.resolve(id + META));
        Files.deleteIfExists(dir.resolve(id + ".wasm"));
        Files.deleteIfExists(dir.resolve(id + ".wat"));
        deleteBundles(id, null);
    }

    @Override
    public List<DeploymentRecord> list() throws IOException {
        List<DeploymentRecord> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        List<Path> metas = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + META)) {
            ds.forEach(metas::add);
        }
        metas.sort(null);
        for (Path meta : metas) {
            String name = meta.getFileName().toString();
            String id = name.substring(0, name.length() - META.length());
            try {
                out.add(read(id, meta));
            } catch (IOException | RuntimeException e) {
                LOG.warn(
                        "uploaded deployment {} ({}) not restored: {}; its files stay",
                        id,
                        meta,
                        e.getMessage());
            }
        }
        return out;
    }

    private DeploymentRecord read(String id, Path meta) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Instant expiresAt = Instant.parse(required(p, "expiresAt"));
        String moduleName = required(p, "module");
        if (!moduleName.equals(id + ".wasm") && !moduleName.equals(id + ".wat")) {
            throw new IllegalArgumentException(
                    "its module '" + moduleName + "' is not " + id + ".wasm or " + id + ".wat");
        }
        return new DeploymentRecord(
                id,
                required(p, "route"),
                moduleName,
                Files.readAllBytes(dir.resolve(moduleName)),
                Instant.parse(p.getProperty("deployedAt", expiresAt.toString())),
                expiresAt,
                p.getProperty("bundle") == null ? null : Path.of(p.getProperty("bundle")));
    }

    private static String required(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("no '" + key + "' in its properties file");
        }
        return v;
    }

    @Override
    public AutoCloseable watch(Runnable onChange) {
        return () -> {};
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    private static void atomicWrite(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
