package dev.vivarium.client;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Builds a project to {@code target/NAME.wasm}: cargo (Debian's, offline), clang-14 for wasm32-wasi
 * with the plain flags, or wat2wasm inside the JVM. Incremental: nothing runs when the output is
 * newer than every source.
 */
public final class Builder {
    public static final String APT_RUST =
            "apt-get install -y --no-install-recommends rustc cargo libstd-rust-dev-wasm32 lld-14"
                    + " librust-http-dev";
    public static final String APT_C =
            "apt-get install -y --no-install-recommends clang-14 lld-14 wasi-libc"
                    + " libclang-rt-14-dev-wasm32";
    private static final long BUILD_TIMEOUT_MINUTES = 15;

    /** What a build did. */
    public record Result(Path output, boolean upToDate, long millis) {
        /**
         * What the build did, in one line, its output relative to {@code projectDir}: {@code built
         * target/NAME.wasm (339 bytes) in 12 ms} or {@code target/NAME.wasm is up to date}.
         */
        public String summary(Path projectDir) throws IOException {
            String rel = projectDir.relativize(output).toString();
            return upToDate
                    ? rel + " is up to date"
                    : "built " + rel + " (" + Files.size(output) + " bytes) in " + millis + " ms";
        }
    }

    private final PrintWriter log;

    public Builder(PrintWriter log) {
        this.log = log;
    }

    public Result build(Project p, boolean force) {
        long start = System.nanoTime();
        Path out = p.output();
        try {
            if (!force && upToDate(p, out)) {
                return new Result(out, true, 0);
            }
            Files.createDirectories(out.getParent());
            switch (p.lang()) {
                case WAT -> buildWat(p, out);
                case C -> buildC(p, out);
                case RUST -> buildRust(p, out);
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.BUILD_FAILED, "build of " + p.name() + ": " + e, e);
        }
        return new Result(out, false, (System.nanoTime() - start) / 1_000_000);
    }

    /** Every file of the project but target/ and dot-directories (.cargo/ counts). */
    public static List<Path> sources(Project p) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(p.dir())) {
            s.filter(Files::isRegularFile).filter(f -> watched(p.dir(), f)).forEach(files::add);
        }
        return files;
    }

    /** Whether a change to {@code f} calls for a rebuild. */
    public static boolean watched(Path dir, Path f) {
        Path rel = dir.relativize(f);
        if (rel.getNameCount() == 0) {
            return true;
        }
        String first = rel.getName(0).toString();
        return !first.equals("target") && !first.equals(".git") && !first.equals("Cargo.lock");
    }

    private static boolean upToDate(Project p, Path out) throws IOException {
        if (!Files.isRegularFile(out)) {
            return false;
        }
        FileTime built = Files.getLastModifiedTime(out);
        for (Path f : sources(p)) {
            if (Files.getLastModifiedTime(f).compareTo(built) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static void buildWat(Project p, Path out) throws IOException {
        Path src = p.dir().resolve("src/main.wat");
        if (!Files.isRegularFile(src)) {
            throw new CliException(ExitCodes.PROJECT, src + " is missing (a wat project's source)");
        }
        byte[] wasm;
        try {
            wasm = Wat2Wasm.parse(Files.readString(src, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new CliException(
                    ExitCodes.BUILD_FAILED,
                    p.dir().relativize(src) + ": invalid WebAssembly text: " + e.getMessage(),
                    e);
        }
        writeAtomically(out, wasm);
    }

    private void buildC(Project p, Path out) throws IOException {
        Path clang = findClang();
        if (!Files.isRegularFile(Path.of("/usr/lib/wasm32-wasi/libc.a"))) {
            throw new CliException(
                    ExitCodes.NO_TOOLCHAIN,
                    "wasi-libc is not installed (/usr/lib/wasm32-wasi/libc.a); install it with: "
                            + APT_C);
        }
        Path srcDir = p.dir().resolve("src");
        List<Path> sources = new ArrayList<>();
        FileTime newestHeader = FileTime.fromMillis(0);
        try (Stream<Path> s = Files.walk(srcDir)) {
            for (Path f : (Iterable<Path>) s.sorted()::iterator) {
                String n = f.getFileName().toString();
                if (n.endsWith(".c")) {
                    sources.add(f);
                } else if (n.endsWith(".h")) {
                    FileTime t = Files.getLastModifiedTime(f);
                    newestHeader = t.compareTo(newestHeader) > 0 ? t : newestHeader;
                }
            }
        }
        if (sources.isEmpty()) {
            throw new CliException(ExitCodes.PROJECT, srcDir + " has no .c file");
        }
        // Compile and link in two steps, as guests/build.sh does: clang runs binaryen's wasm-opt
        // after linking when an -O option is on the link command and wasm-opt is on PATH, which
        // costs a second per build and makes the output depend on what happens to be installed.
        // Each .c is compiled again only when it or a header changed.
        Path objDir = p.dir().resolve("target/obj");
        Files.createDirectories(objDir);
        List<String> link =
                new ArrayList<>(
                        List.of(
                                clang.toString(),
                                "--target=wasm32-wasi",
                                "-nostartfiles",
                                "-Wl,--no-entry",
                                "-o",
                                p.dir()
                                        .relativize(out.resolveSibling(out.getFileName() + ".tmp"))
                                        .toString()));
        for (Path c : sources) {
            String rel = srcDir.relativize(c).toString();
            Path obj = objDir.resolve(rel.replace('/', '_') + ".o");
            if (!Files.isRegularFile(obj)
                    || Files.getLastModifiedTime(obj).compareTo(Files.getLastModifiedTime(c)) <= 0
                    || Files.getLastModifiedTime(obj).compareTo(newestHeader) <= 0) {
                run(
                        p,
                        List.of(
                                clang.toString(),
                                "--target=wasm32-wasi",
                                "-O2",
                                "-Isrc",
                                "-c",
                                "-o",
                                p.dir().relativize(obj).toString(),
                                p.dir().relativize(c).toString()),
                        Map.of());
            }
            link.add(p.dir().relativize(obj).toString());
        }
        run(p, link, Map.of());
        Files.move(
                out.resolveSibling(out.getFileName() + ".tmp"),
                out,
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private void buildRust(Project p, Path out) throws IOException {
        Path cargo = Path.of("/usr/bin/cargo");
        Path rustc = Path.of("/usr/bin/rustc");
        if (!Files.isExecutable(cargo) || !Files.isExecutable(rustc)) {
            throw new CliException(
                    ExitCodes.NO_TOOLCHAIN,
                    "Debian's Rust toolchain is not installed (/usr/bin/cargo, /usr/bin/rustc);"
                            + " install it with: "
                            + APT_RUST);
        }
        if (!Files.isDirectory(Path.of("/usr/lib/rustlib/wasm32-unknown-unknown"))
                || !Files.isDirectory(Path.of("/usr/share/cargo/registry"))) {
            throw new CliException(
                    ExitCodes.NO_TOOLCHAIN,
                    "the wasm32 Rust library or Debian's http crate is missing; install them with: "
                            + APT_RUST);
        }
        run(
                p,
                List.of(cargo.toString(), "build", "--release", "--offline"),
                Map.of("RUSTC", rustc.toString(), "CARGO_TARGET_DIR", "target/cargo"));
        String lib = p.name().replace('-', '_') + ".wasm";
        Path built = p.dir().resolve("target/cargo/wasm32-unknown-unknown/release").resolve(lib);
        writeAtomically(out, Files.readAllBytes(built));
    }

    private static Path findClang() {
        for (String c : List.of("/usr/bin/clang-14", "/usr/bin/clang")) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new CliException(
                ExitCodes.NO_TOOLCHAIN, "clang-14 is not installed; install it with: " + APT_C);
    }

    /** Runs a compiler in the project, its output to the log; fails with it when it fails. */
    private void run(Project p, List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(p.dir().toFile());
        pb.redirectErrorStream(true);
        pb.environment().putAll(env);
        // the caller's flags must not change the build
        pb.environment().remove("RUSTFLAGS");
        pb.environment().remove("CARGO_BUILD_TARGET");
        Process proc = pb.start();
        String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!proc.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                proc.destroyForcibly();
                throw new CliException(ExitCodes.BUILD_FAILED, cmd.get(0) + " did not finish");
            }
        } catch (InterruptedException e) {
            proc.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.BUILD_FAILED, "build interrupted", e);
        }
        if (proc.exitValue() != 0) {
            throw new CliException(
                    ExitCodes.BUILD_FAILED,
                    "build of "
                            + p.name()
                            + " failed ("
                            + String.join(" ", cmd)
                            + " exited with "
                            + proc.exitValue()
                            + "):\n"
                            + output.strip());
        }
        if (!output.isBlank()) {
            log.print(output);
            log.flush();
        }
    }

    private static void writeAtomically(Path out, byte[] bytes) throws IOException {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
