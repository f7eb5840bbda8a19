package dev.vivarium.core.log;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The last lines of one deployment's guest output and faults, for the admin API's {@code
 * /deployments/ID/logs}: at most {@code capacity} entries ({@code guestLog.bufferLines}), the
 * oldest dropped and counted. Each entry has a sequence number, 1 for the first, that a reader
 * resumes after. Thread-safe: the deployment's requests add to it concurrently.
 */
public final class LogBuffer {
    /** One buffered line: its sequence number, when, {@code guest} or {@code fault}, the text. */
    public record Entry(long seq, Instant time, String stream, String text) {}

    private final int capacity;
    private final Clock clock;
    private final Consumer<Entry> also;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long next = 1;
    private long dropped;
    private boolean closed;

    public LogBuffer(int capacity, Clock clock) {
        this(capacity, clock, null);
    }

    /**
     * @param also given every line added, kept or not (e.g. to copy it to a container's log when
     *     there is no SLF4J provider); null for none
     */
    public LogBuffer(int capacity, Clock clock, Consumer<Entry> also) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must be 0 or more, got " + capacity);
        }
        this.capacity = capacity;
        this.clock = clock;
        this.also = also;
    }

    /** Adds a line; past the capacity the oldest is dropped and counted. */
    public synchronized void add(String stream, String text) {
        Entry e = new Entry(next++, clock.instant(), stream, text);
        if (also != null) {
            also.accept(e);
        }
        if (capacity == 0) {
            dropped++;
            return;
        }
        if (entries.size() == capacity) {
            entries.removeFirst();
            dropped++;
        }
        entries.addLast(e);
        notifyAll();
    }

    /**
     * The entries after {@code afterSeq}, waiting up to {@code timeoutMillis} for one when there is
     * none yet; empty when the wait is over or the buffer is {@link #close closed}.
     */
    public synchronized List<Entry> await(long afterSeq, long timeoutMillis)
            throws InterruptedException {
        long end = System.nanoTime() + timeoutMillis * 1_000_000;
        while (!closed && next - 1 <= afterSeq) {
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                break;
            }
            wait(left);
        }
        return after(afterSeq);
    }

    /** The sequence number of the last line added, 0 before the first. */
    public synchronized long lastSeq() {
        return next - 1;
    }

    /**
     * Ends the buffer: its deployment is gone (removed, expired) or the engine closed. Whoever
     * waits in {@link #await} returns, and sees {@link #isClosed()}.
     */
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /** The buffered entries with a sequence number above {@code afterSeq}, oldest first. */
    public synchronized List<Entry> after(long afterSeq) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.seq() > afterSeq) {
                out.add(e);
            }
        }
        return out;
    }

    /** Entries dropped because the buffer was full. */
    public synchronized long dropped() {
        return dropped;
    }

    public int capacity() {
        return capacity;
    }
}
