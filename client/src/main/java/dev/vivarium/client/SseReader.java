package dev.vivarium.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Reads a {@code text/event-stream} (the HTML Living Standard's Server-Sent Events): {@code event:}
 * names the event, {@code data:} lines are joined with new lines, a blank line dispatches, lines
 * starting with {@code :} are comments (keep-alives), {@code id:} and {@code retry:} are read and
 * ignored.
 */
public final class SseReader {
    /** One event: its type ({@code message} unless named) and data. */
    public record Event(String type, String data) {}

    private SseReader() {}

    /** Reads events until the stream ends, handing each to {@code sink}. */
    public static void read(BufferedReader in, Consumer<Event> sink) throws IOException {
        String type = null;
        StringBuilder data = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    sink.accept(new Event(type == null ? "message" : type, data.toString()));
                }
                type = null;
                data = null;
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "event" -> type = value;
                case "data" -> {
                    if (data == null) {
                        data = new StringBuilder(value);
                    } else {
                        data.append('\n').append(value);
                    }
                }
                default -> {
                    // id, retry, and unknown fields: nothing to show
                }
            }
        }
        // an event not closed by a blank line when the stream ends is dropped, as the standard says
    }
}
