package dev.vivarium.core.log;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.slf4j.Logger;

/**
 * Everything one guest request writes to the server log ({@code hostcall_debug} today; a WASI
 * {@code fd_write} to stdout or stderr goes through {@link #write} the same way). A request keeps
 * at most {@code maxLines} lines and {@code maxBytes} bytes, and its deployment's {@link LogBudget}
 * must have room for each; the rest is dropped and counted, and {@link #close()} logs one line
 * saying how many were dropped. Single-threaded, like the request it serves.
 */
public final class GuestLog implements AutoCloseable {
    /** Longest request path shown in a log line; the rest is cut. */
    public static final int MAX_PATH = 200;

    private final Logger log;
    private final String prefix;
    private final long maxLines;
    private final long maxBytes;
    private final LogBudget deployment;
    private final LogBuffer buffer;
    private long lines;
    private long bytes;
    private long droppedLines;
    private long droppedBytes;
    private boolean deploymentRefused;
    private ByteArrayOutputStream partial;

    /**
     * @param log where lines go ({@code vivarium.guest.<guest>})
     * @param guest the guest's name, shown on each line
     * @param path the request's path, shown on each line (cut to {@value #MAX_PATH} characters)
     */
    public GuestLog(
            Logger log, String guest, String path, long maxLines, long maxBytes, LogBudget budget) {
        this(log, guest, path, maxLines, maxBytes, budget, null);
    }

    /**
     * As above, each line logged also added to {@code buffer} (the deployment's {@link LogBuffer},
     * which the admin API serves), as stream {@code guest}.
     */
    public GuestLog(
            Logger log,
            String guest,
            String path,
            long maxLines,
            long maxBytes,
            LogBudget budget,
            LogBuffer buffer) {
        this.buffer = buffer;
        this.log = Objects.requireNonNull(log, "log");
        this.prefix = "[" + guest + " " + Clip.clip(path, MAX_PATH) + "] ";
        this.maxLines = maxLines;
        this.maxBytes = maxBytes;
        this.deployment = Objects.requireNonNull(budget, "budget");
    }

    /**
     * Logs guest output at INFO, one log line per line of it (a guest's line breaks start new
     * lines, each with the prefix, so a guest cannot forge another's lines), each if the budgets
     * have room; else counts it.
     */
    public void line(String text) {
        int nl = text.indexOf('\n');
        if (nl < 0) {
            one(text);
            return;
        }
        int from = 0;
        while (nl >= 0) {
            one(text.substring(from, nl));
            from = nl + 1;
            nl = text.indexOf('\n', from);
        }
        if (from < text.length()) {
            one(text.substring(from));
        }
    }

    private void one(String text) {
        long size = text.getBytes(StandardCharsets.UTF_8).length;
        if (lines >= maxLines || bytes + size > maxBytes) {
            drop(size);
            return;
        }
        if (!deployment.take(size)) {
            deploymentRefused = true;
            drop(size);
            return;
        }
        lines++;
        bytes += size;
        // a guest must not forge log lines with new lines of its own
        String clipped = Clip.clip(text, Integer.MAX_VALUE);
        log.info("{}{}", prefix, clipped);
        if (buffer != null) {
            buffer.add("guest", clipped);
        }
    }

    /**
     * Guest output as a byte stream (WASI {@code fd_write}): each {@code \n}-terminated line is a
     * {@link #line}; an unterminated rest waits for more, and is logged at {@link #close()}. The
     * buffered rest is itself bounded by {@code maxBytes}.
     */
    public void write(byte[] data, int offset, int length) {
        int start = offset;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            if (data[i] == '\n') {
                emit(data, start, i - start);
                start = i + 1;
            }
        }
        if (start < end) {
            if (partial == null) {
                partial = new ByteArrayOutputStream();
            }
            int room = (int) Math.max(0, Math.min(end - start, maxBytes - partial.size()));
            partial.write(data, start, room);
            if (room < end - start) {
                drop(end - start - room);
            }
        }
    }

    private void emit(byte[] data, int start, int length) {
        if (partial != null && partial.size() > 0) {
            partial.write(data, start, length);
            byte[] all = partial.toByteArray();
            partial.reset();
            line(new String(all, StandardCharsets.UTF_8));
        } else {
            line(new String(data, start, length, StandardCharsets.UTF_8));
        }
    }

    private void drop(long size) {
        droppedLines++;
        droppedBytes += size;
    }

    /** Lines dropped by this request so far. */
    public long dropped() {
        return droppedLines;
    }

    /** Lines logged by this request so far. */
    public long logged() {
        return lines;
    }

    /** Logs the unterminated rest of {@link #write} output, then how many lines were dropped. */
    @Override
    public void close() {
        if (partial != null && partial.size() > 0) {
            byte[] rest = partial.toByteArray();
            partial = null;
            line(new String(rest, StandardCharsets.UTF_8));
        }
        if (droppedLines == 0) {
            return;
        }
        if (!deploymentRefused) {
            log.info(
                    "{}{} lines ({} bytes) of guest output dropped: over this request's budget"
                            + " (guestLog.maxLines {}, guestLog.maxBytes {})",
                    prefix,
                    droppedLines,
                    droppedBytes,
                    maxLines,
                    maxBytes);
            droppedLines = 0;
            return;
        }
        // the deployment is over its rate: one line a second for all its requests
        LogBudget.Dropped d = deployment.summary(droppedLines, droppedBytes);
        droppedLines = 0;
        if (d != null) {
            log.info(
                    "{}{} lines ({} bytes) of guest output dropped: over the deployment's budget"
                            + " ({}; guestLog.linesPerSecond, guestLog.bytesPerSecond)",
                    prefix,
                    d.lines(),
                    d.bytes(),
                    deployment);
        }
    }
}
