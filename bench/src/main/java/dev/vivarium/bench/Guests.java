package dev.vivarium.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository's {@code guests} directory from the working directory. */
final class Guests {
    private Guests() {}

    static Path root() {
        String prop = System.getProperty("vivarium.guests.dir");
        if (prop != null) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("guests/dist"))) {
                return p.resolve("guests");
            }
        }
        throw new IllegalStateException("run from the repository, or set -Dvivarium.guests.dir");
    }

    static Path dist() {
        return root().resolve("dist");
    }
}
