package dev.vivarium.core.deploy;

import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.config.Settings;
import dev.vivarium.core.config.VivariumSettings;
import dev.vivarium.core.log.LogBuffer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;

/**
 * {@code GET /deployments/ID/logs?follow=1}: a deployment's log as server-sent events ({@code
 * text/event-stream}). Each entry is one event whose {@code id} is its sequence number (so a client
 * that reconnects with {@code Last-Event-ID} resumes after it) and whose {@code data} is the entry
 * as JSON, the same object the polled {@code entries} list holds. A quiet stream sends a comment
 * every {@code guestLog.followHeartbeat}. The stream ends with an {@code end} event whose data says
 * why: {@code {"reason":"removed"}} when the deployment is removed or expires (or the engine
 * stops), {@code {"reason":"maxDuration"}} after {@code guestLog.followMaxDuration}. At most {@code
 * guestLog.followers} streams run at once (each holds the server thread that writes it); one more
 * is answered 503 with {@code Retry-After}.
 */
public final class LogFollow {
    /** The follow limits: streams at once, a stream's longest life, the heartbeat interval. */
    public record Options(int maxFollowers, Duration maxDuration, Duration heartbeat) {
        public Options {
            if (maxFollowers < 0) {
                throw new IllegalArgumentException(
                        "guestLog.followers must be 0 or more, got " + maxFollowers);
            }
            Objects.requireNonNull(maxDuration, "maxDuration");
            Objects.requireNonNull(heartbeat, "heartbeat");
        }

        /** The defaults of the {@code guestLog.follow*} settings. */
        public static Options defaults() {
            return new Options(
                    VivariumSettings.GUEST_LOG_FOLLOWERS.defaultParsed(),
                    VivariumSettings.GUEST_LOG_FOLLOW_MAX_DURATION.defaultParsed(),
                    VivariumSettings.GUEST_LOG_FOLLOW_HEARTBEAT.defaultParsed());
        }

        public static Options parse(Settings s) {
            return new Options(
                    s.get(VivariumSettings.GUEST_LOG_FOLLOWERS),
                    s.get(VivariumSettings.GUEST_LOG_FOLLOW_MAX_DURATION),
                    s.get(VivariumSettings.GUEST_LOG_FOLLOW_HEARTBEAT));
        }
    }

    private final Options options;
    private final Semaphore slots;

    public LogFollow(Options options) {
        this.options = Objects.requireNonNull(options, "options");
        this.slots = new Semaphore(options.maxFollowers());
    }

    /** Streams that run now. */
    public int following() {
        return options.maxFollowers() - slots.availablePermits();
    }

    /**
     * The stream of {@code buffer}'s entries after {@code after}, or a 503 when {@code
     * guestLog.followers} streams already run. A sequence number beyond the buffer's last (a client
     * resuming on a restarted server) starts from the oldest entry kept.
     */
    Outcome follow(String id, LogBuffer buffer, long after) {
        if (!slots.tryAcquire()) {
            throw new UploadException(
                    503,
                    options.maxFollowers()
                            + " log streams already run (guestLog.followers); try again later",
                    null,
                    5);
        }
        Headers h = new Headers();
        h.add("content-type", "text/event-stream;charset=utf-8");
        h.add("cache-control", "no-store");
        h.add("x-accel-buffering", "no"); // nginx: pass events on as they come
        long from = after > buffer.lastSeq() ? 0 : after;
        try {
            return Outcome.streamed(200, h, -1, out -> stream(id, buffer, from, out))
                    .onRelease(slots::release);
        } catch (RuntimeException | Error e) {
            slots.release();
            throw e;
        }
    }

    private void stream(String id, LogBuffer buffer, long after, OutputStream out)
            throws IOException {
        long end = System.nanoTime() + options.maxDuration().toNanos();
        long heartbeat = Math.max(1, options.heartbeat().toMillis());
        send(out, ": following deployment " + id + "\nretry: 2000\n\n");
        long last = after;
        try {
            while (true) {
                if (buffer.isClosed()) {
                    send(out, "event: end\ndata: {\"reason\":\"removed\"}\n\n");
                    return;
                }
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    send(out, "event: end\ndata: {\"reason\":\"maxDuration\"}\n\n");
                    return;
                }
                List<LogBuffer.Entry> entries = buffer.await(last, Math.min(heartbeat, left));
                if (entries.isEmpty()) {
                    if (!buffer.isClosed()) {
                        send(out, ":\n\n");
                    }
                    continue;
                }
                StringBuilder b = new StringBuilder();
                for (LogBuffer.Entry e : entries) {
                    // JSON has no raw new lines, so the data is one line
                    b.append("id: ").append(e.seq()).append("\ndata: ");
                    b.append(entryJson(e)).append("\n\n");
                    last = e.seq();
                }
                send(out, b.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void send(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** One entry as JSON: {@code {"seq":1,"time":"...","stream":"guest","text":"..."}}. */
    static String entryJson(LogBuffer.Entry e) {
        return "{\"seq\":"
                + e.seq()
                + ",\"time\":"
                + Json.string(e.time().toString())
                + ",\"stream\":"
                + Json.string(e.stream())
                + ",\"text\":"
                + Json.string(e.text())
                + '}';
    }
}
