package dev.vivarium.kv.postgresql;

import java.time.Duration;

/** Durations as the settings write them. */
final class Durations {
    private Durations() {}

    /** {@code 2s}, {@code 1500ms}. */
    static String text(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
