package dev.vivarium.bench;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.engine.Route;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository's {@code guests} directory; sends benchmark requests. */
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

    /**
     * A guest by name: a file in {@code guests/dist}, or a path with a slash under {@code guests/}
     * ({@code wat/hello.wat}).
     */
    static Path resolve(String guest) {
        return guest.contains("/") ? root().resolve(guest) : dist().resolve(guest);
    }

    /** One {@code GET path} through the engine; fails unless the guest answers 200. */
    static Outcome get(Vivarium engine, Route route, String path) {
        Outcome o =
                engine.handle(
                        route,
                        new GuestRequest(
                                "GET", path, "localhost", new Headers(), null, "127.0.0.1"));
        if (o.status() != 200) {
            throw new IllegalStateException(o.toString());
        }
        return o;
    }
}
