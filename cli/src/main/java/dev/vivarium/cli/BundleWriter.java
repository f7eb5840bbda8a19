package dev.vivarium.cli;

import dev.vivarium.client.CliException;
import dev.vivarium.client.ExitCodes;
import dev.vivarium.client.Project;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The bundle {@code vivarium deploy} uploads for a project with an {@code assets/} directory (or
 * with {@code --bundle}): a zip of the project's {@code vivarium.toml}, its built module and its
 * {@code assets/} tree, the layout the server unpacks (docs/bundles.md). Symbolic links in the tree
 * are refused here, as the server would.
 */
final class BundleWriter {
    private BundleWriter() {}

    /** Whether the project has static files to bundle. */
    static boolean hasAssets(Project p) {
        return Files.isDirectory(p.dir().resolve("assets"), LinkOption.NOFOLLOW_LINKS);
    }

    static byte[] zip(Project p, Path module) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            add(zip, Project.MANIFEST, p.dir().resolve(Project.MANIFEST));
            add(zip, module.getFileName().toString(), module);
            Path assets = p.dir().resolve("assets");
            if (hasAssets(p)) {
                List<Path> files;
                try (Stream<Path> walk = Files.walk(assets)) {
                    files = walk.sorted().toList();
                }
                for (Path f : files) {
                    if (Files.isSymbolicLink(f)) {
                        throw new CliException(
                                ExitCodes.PROJECT,
                                f
                                        + " is a symbolic link; the server refuses links in a bundle:"
                                        + " copy the file into assets/ instead");
                    }
                    if (Files.isRegularFile(f)) {
                        String name =
                                "assets/" + assets.relativize(f).toString().replace('\\', '/');
                        add(zip, name, f);
                    }
                }
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.PROJECT, "cannot write the bundle: " + e, e);
        }
        return bytes.toByteArray();
    }

    private static void add(ZipOutputStream zip, String name, Path file) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setLastModifiedTime(Files.getLastModifiedTime(file));
        zip.putNextEntry(e);
        try (OutputStream out = new NonClosing(zip)) {
            Files.copy(file, out);
        }
        zip.closeEntry();
    }

    /** Lets {@link Files#copy(Path, OutputStream)} write an entry without closing the zip. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() {}
    }
}
