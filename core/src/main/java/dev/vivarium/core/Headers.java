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
    private final List<String> names = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private long length;

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
        names.add(n);
        values.add(Objects.requireNonNull(value, "value"));
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
        for (int i = names.size() - 1; i >= 0; i--) {
            if (names.get(i).equals(n)) {
                length -= names.remove(i).length() + values.remove(i).length();
            }
        }
        return this;
    }

    /** All values of one header, in the order they were added; empty if absent. */
    public List<String> values(String name) {
        String n = normalize(name);
        List<String> out = null;
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(n)) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(values.get(i));
            }
        }
        return out == null ? List.of() : Collections.unmodifiableList(out);
    }

    /** The first value of a header, or null. */
    public String first(String name) {
        String n = normalize(name);
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(n)) {
                return values.get(i);
            }
        }
        return null;
    }

    /** Distinct header names in first-seen order. */
    public List<String> names() {
        return List.copyOf(new LinkedHashSet<>(names));
    }

    public int size() {
        return names.size();
    }

    /**
     * The chars of every name and value together: for headers that cross the guest boundary (one
     * char per byte) their bytes on the wire, without separators.
     */
    public long length() {
        return length;
    }

    public String nameAt(int i) {
        return names.get(i);
    }

    public String valueAt(int i) {
        return values.get(i);
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
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (!isHopByHop(name)) {
                writer.write(name, values.get(i), seen.add(name));
            }
        }
    }

    public Headers copy() {
        Headers h = new Headers();
        h.names.addAll(names);
        h.values.addAll(values);
        h.length = length;
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(names.get(i)).append(": ").append(values.get(i));
        }
        return sb.append('}').toString();
    }
}
