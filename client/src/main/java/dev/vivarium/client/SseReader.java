package dev.vivarium.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Reads a {@code text/event-stream} (the HTML Living Standard's Server-Sent Events): {@code event:}
 * names the event, {@code data:} lines are joined with new lines, a blank line dispatches, lines
 * starting with {@code :} are comments (keep-alives), {@code id:} sets the last event id (kept
 * across events, as the standard says, for a reconnect's {@code Last-Event-ID}), {@code retry:} is
 * ignored.
 */
public final class SseReader {
    /** One event: its type ({@code message} unless named) and data. */
    public record Event(String type, String data, String id) {
        public Event(String type, String data) {
            this(type, data, null);
        }
    }

    private SseReader() {}

    /** Reads events until the stream ends, handing each to {@code sink}. */
    public static void read(BufferedReader in, Consumer<Event> sink) throws IOException {
        String type = null;
        String id = null;
        StringBuilder data = null;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    sink.accept(new Event(type == null ? "message" : type, data.toString(), id));
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
                case "id" -> id = value.indexOf('\0') >= 0 ? id : value;
                default -> {
                    // retry, and unknown fields: nothing to show
                }
            }
        }
        // an event not closed by a blank line when the stream ends is dropped, as the standard says
    }
}
