package dev.vivarium.core.kv;

import dev.vivarium.core.config.Settings;
import java.nio.file.Path;

/** KV settings ({@code kv.*}). STUB: owned by the KV work; fields, builder and parsing to come. */
public final class KvOptions {
    private final Path directory;

    private KvOptions(Path directory) {
        this.directory = directory;
    }

    /**
     * Reads the {@code kv.*} settings; {@code defaultDirectory} when {@code kv.directory} is unset.
     */
    public static KvOptions parse(Settings s, Path defaultDirectory) {
        String dir = s.string("kv.directory");
        return new KvOptions(dir != null ? Path.of(dir) : defaultDirectory);
    }

    public static KvOptions defaults(Path directory) {
        return new KvOptions(directory);
    }

    public Path directory() {
        return directory;
    }
}
