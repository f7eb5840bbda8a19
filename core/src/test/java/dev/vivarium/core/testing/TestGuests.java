package dev.vivarium.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the committed guest binaries ({@code guests/dist}) and WAT fixtures for tests. */
public final class TestGuests {
    private TestGuests() {}

    /** The repository's {@code guests} directory. */
    public static Path root() {
        String prop = System.getProperty("vivarium.guests.dir");
        if (prop != null && Files.isDirectory(Path.of(prop))) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("guests/wat"))) {
                return p.resolve("guests");
            }
        }
        throw new IllegalStateException(
                "cannot find the guests directory; set -Dvivarium.guests.dir");
    }

    /** Built guests ({@code .wasm}), as committed by {@code guests/build.sh}. */
    public static Path dist() {
        return root().resolve("dist");
    }

    /** Host-test WAT fixtures. */
    public static Path watFixtures() {
        return root().resolve("wat/fixtures");
    }
}
