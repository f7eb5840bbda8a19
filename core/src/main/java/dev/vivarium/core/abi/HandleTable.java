package dev.vivarium.core.abi;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A bounded, per-request table of guest handles of one kind (outgoing requests, pending requests,
 * received responses). Handles start at 1, since 0 names the incoming request or the outgoing
 * response; a bad, consumed or exhausted handle is reported as the ABI's {@code -1} by callers,
 * never as an exception. Not thread-safe: a request's hostcalls run on one thread.
 */
public final class HandleTable<T> {
    private final String kind;
    private final int capacity;
    private final List<T> slots = new ArrayList<>();
    private int live;

    public HandleTable(String kind, int capacity) {
        this.kind = kind;
        this.capacity = capacity;
    }

    /** Stores {@code value}; returns its handle, or -1 when the table is full. */
    public int insert(T value) {
        if (live >= capacity) {
            return -1;
        }
        live++;
        slots.add(value);
        return slots.size();
    }

    /** The value behind {@code handle}, or null if it is unknown or was taken. */
    public T get(int handle) {
        if (handle < 1 || handle > slots.size()) {
            return null;
        }
        return slots.get(handle - 1);
    }

    /** Removes and returns the value behind {@code handle} (it is consumed), or null. */
    public T take(int handle) {
        T value = get(handle);
        if (value != null) {
            slots.set(handle - 1, null);
            live--;
        }
        return value;
    }

    public int live() {
        return live;
    }

    public String kind() {
        return kind;
    }

    /** Releases every value still held, e.g. aborting in-flight requests, in one place. */
    public void closeAll(Consumer<? super T> closer) {
        for (int i = 0; i < slots.size(); i++) {
            T value = slots.get(i);
            if (value != null) {
                slots.set(i, null);
                closer.accept(value);
            }
        }
        live = 0;
    }
}
