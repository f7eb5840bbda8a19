package dev.vivarium.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An ordered HTTP header multimap with lower-case names, as the guest sees headers (Terrarium
 * guests use the {@code http} crate's {@code HeaderMap}, whose names are lower case).
 *
 * <p>Mutable while a request or response is being built; adapters and hostcalls own their
 * instances, so it is not thread-safe.
 */
public final class Headers {
    /**
     * Names and values alternating ({@code [name0, value0, name1, value1, ...]}), {@link #size}
     * pairs: one small array instead of two lists, as a request and a response each have one.
     */
    private String[] entries = NONE;

    private int size;
    private long length;

    private static final String[] NONE = new String[0];

    /**
     * Empty; room for two headers comes with the first (a guest's response often has one or two).
     */
    public Headers() {}

    /** Empty, with room for {@code expected} headers (an adapter copying a request's). */
    public Headers(int expected) {
        if (expected > 0) {
            entries = new String[2 * expected];
        }
    }

    private static final java.util.Set<String> HOP_BY_HOP =
            java.util.Set.of(
                    "connection",
                    "keep-alive",
                    "proxy-connection",
                    "transfer-encoding",
                    "te",
                    "trailer",
                    "upgrade",
                    "content-length");

    /**
     * Headers the container owns on the wire (connection management and framing): adapters do not
     * copy them from a guest's response, and outbound requests do not take them from a guest.
     */
    public static boolean isHopByHop(String name) {
        return HOP_BY_HOP.contains(normalize(name));
    }

    public static String normalize(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** Adds one value, keeping any existing values of the same name. */
    public Headers add(String name, String value) {
        String n = normalize(Objects.requireNonNull(name, "name"));
        Objects.requireNonNull(value, "value");
        if (2 * size == entries.length) {
            entries = java.util.Arrays.copyOf(entries, Math.max(4, 2 * entries.length));
        }
        entries[2 * size] = n;
        entries[2 * size + 1] = value;
        size++;
        length += n.length() + value.length();
        return this;
    }

    /** Replaces all values of {@code name} with {@code newValues} (none removes the header). */
    public Headers set(String name, List<String> newValues) {
        remove(name);
        for (String v : newValues) {
            add(name, v);
        }
        return this;
    }

    /** Replaces all values of {@code name} with one value. */
    public Headers set(String name, String value) {
        remove(name);
        return add(name, value);
    }

    public Headers remove(String name) {
        String n = normalize(name);
        int kept = 0;
        for (int i = 0; i < size; i++) {
            String k = entries[2 * i];
            String v = entries[2 * i + 1];
            if (k.equals(n)) {
                length -= k.length() + v.length();
            } else {
                entries[2 * kept] = k;
                entries[2 * kept + 1] = v;
                kept++;
            }
        }
        java.util.Arrays.fill(entries, 2 * kept, 2 * size, null);
        size = kept;
        return this;
    }

    /** All values of one header, in the order they were added; empty if absent. */
    public List<String> values(String name) {
        String n = normalize(name);
        List<String> out = null;
        for (int i = 0; i < size; i++) {
            if (entries[2 * i].equals(n)) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(entries[2 * i + 1]);
            }
        }
        return out == null ? List.of() : Collections.unmodifiableList(out);
    }

    /** The first value of a header, or null. */
    public String first(String name) {
        String n = normalize(name);
        for (int i = 0; i < size; i++) {
            if (entries[2 * i].equals(n)) {
                return entries[2 * i + 1];
            }
        }
        return null;
    }

    /** Distinct header names in first-seen order. */
    public List<String> names() {
        LinkedHashSet<String> distinct = new LinkedHashSet<>();
        for (int i = 0; i < size; i++) {
            distinct.add(entries[2 * i]);
        }
        return List.copyOf(distinct);
    }

    public int size() {
        return size;
    }

    /**
     * The chars of every name and value together: for headers that cross the guest boundary (one
     * char per byte) their bytes on the wire, without separators.
     */
    public long length() {
        return length;
    }

    public String nameAt(int i) {
        return entries[2 * Objects.checkIndex(i, size)];
    }

    public String valueAt(int i) {
        return entries[2 * Objects.checkIndex(i, size) + 1];
    }

    /** Receives one header of a guest's response that an adapter writes. */
    @FunctionalInterface
    public interface Writer {
        /**
         * @param first the name's first value: it replaces whatever the container already set
         *     (Jetty sets Server and Date up front); later values are added
         */
        void write(String name, String value, boolean first);
    }

    /**
     * Writes the end-to-end headers, in order, skipping {@link #isHopByHop hop-by-hop} ones, which
     * stay the container's. Both adapters write guest responses with this.
     */
    public void writeEndToEnd(Writer writer) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < size; i++) {
            String name = entries[2 * i];
            if (!isHopByHop(name)) {
                writer.write(name, entries[2 * i + 1], seen.add(name));
            }
        }
    }

    public Headers copy() {
        Headers h = new Headers();
        h.entries = size == 0 ? NONE : java.util.Arrays.copyOf(entries, 2 * size);
        h.size = size;
        h.length = length;
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(entries[2 * i]).append(": ").append(entries[2 * i + 1]);
        }
        return sb.append('}').toString();
    }
}
