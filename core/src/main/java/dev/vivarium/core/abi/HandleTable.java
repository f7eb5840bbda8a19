package dev.vivarium.core.abi;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A bounded, per-request table of guest handles of one kind (outgoing requests, pending requests,
 * received responses). Handles start at 1, since 0 names the incoming request or the outgoing
 * response; a bad, consumed or exhausted handle is reported as the ABI's {@code -1} by callers,
 * never as an exception. A handle is never given out twice, so a stale one stays invalid; the table
 * holds only its live values, however many handles a guest has used. Not thread-safe: a request's
 * hostcalls run on one thread.
 */
public final class HandleTable<T> {
    private final String kind;
    private final int capacity;
    private final Map<Integer, T> live = new HashMap<>();
    private int last;

    public HandleTable(String kind, int capacity) {
        this.kind = kind;
        this.capacity = capacity;
    }

    /** Stores {@code value}; returns its handle, or -1 when the table is full. */
    public int insert(T value) {
        if (live.size() >= capacity || last == Integer.MAX_VALUE) {
            return -1;
        }
        live.put(++last, value);
        return last;
    }

    /** The value behind {@code handle}, or null if it is unknown or was taken. */
    public T get(int handle) {
        return live.get(handle);
    }

    /** Removes and returns the value behind {@code handle} (it is consumed), or null. */
    public T take(int handle) {
        return live.remove(handle);
    }

    public int live() {
        return live.size();
    }

    public String kind() {
        return kind;
    }

    /** Releases every value still held, e.g. aborting in-flight requests, in one place. */
    public void closeAll(Consumer<? super T> closer) {
        List<T> values = new ArrayList<>(live.values());
        live.clear();
        values.forEach(closer);
    }
}
