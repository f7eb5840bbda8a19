package dev.vivarium.core.engine;

import java.util.Locale;

/**
 * Reads a module's raw sections before Chicory parses it, and refuses what must not reach the
 * parser: proposals the Terrarium ABI does not need that are visible in section headers and types
 * (GC types, tags, shared, 64-bit or several memories, shared or 64-bit tables), and counts past a
 * {@link GuestLimits} setting (types, globals, function body sizes). Chicory's parser holds a whole
 * module in objects, so a 3 MB type section of a million types or one 7 MB function exhausts the
 * heap before any check on the parsed module could run.
 *
 * <p>Only the parts it checks are decoded; everything else is skipped by its size and left to
 * Chicory, which reports malformed content in its own words.
 */
final class BinaryScreen {
    static final String GC = "the GC proposal";
    static final String EXCEPTIONS = "the exception-handling proposal";
    static final String THREADS = "the threads proposal";
    static final String MEMORY64 = "the memory64 proposal";
    static final String MULTI_MEMORY = "the multi-memory proposal";
    static final String TYPED_REFERENCES = "the typed function references proposal";

    private static final int TYPE = 1;
    private static final int TABLE = 4;
    private static final int MEMORY = 5;
    private static final int GLOBAL = 6;
    private static final int CODE = 10;
    private static final int TAG = 13;

    private final String name;
    private final byte[] b;
    private final GuestLimits limits;
    private int pos;

    private BinaryScreen(String name, byte[] bytes, GuestLimits limits) {
        this.name = name;
        this.b = bytes;
        this.limits = limits;
    }

    /**
     * Checks a binary module that starts with the {@code \0asm} magic.
     *
     * @throws GuestLoadException naming the proposal or the limit, and where
     */
    static void check(String name, byte[] bytes, GuestLimits limits) throws GuestLoadException {
        new BinaryScreen(name, bytes, limits).sections();
    }

    private void sections() throws GuestLoadException {
        pos = 8; // magic and version; Chicory checks the version
        while (pos < b.length) {
            int id = u8("a section id");
            long size = u32("the size of section " + id);
            if (size > b.length - pos) {
                throw malformed(
                        "section "
                                + id
                                + " claims "
                                + size
                                + " bytes, but only "
                                + (b.length - pos)
                                + " follow");
            }
            int end = pos + (int) size;
            switch (id) {
                case TYPE -> types();
                case TABLE -> tables();
                case MEMORY -> memories();
                case GLOBAL -> globals();
                case CODE -> code();
                case TAG -> throw feature(EXCEPTIONS, "a tag section (section 13)");
                default -> {}
            }
            pos = end;
        }
    }

    private void types() throws GuestLoadException {
        long count = u32("the type count");
        if (count > limits.maxTypes()) {
            throw GuestLoadException.tooLarge(
                    name
                            + ": the type section has "
                            + count
                            + " types, more than maxTypes ("
                            + limits.maxTypes()
                            + ")");
        }
        for (int i = 0; i < count; i++) {
            int form = u8("the form of type " + i);
            switch (form) {
                case 0x60 -> {
                    valueTypes("a parameter of type " + i);
                    valueTypes("a result of type " + i);
                }
                case 0x5e -> throw feature(GC, "an array type (type " + i + ")");
                case 0x5f -> throw feature(GC, "a struct type (type " + i + ")");
                case 0x4e -> throw feature(GC, "a recursive type group (type " + i + ")");
                case 0x50, 0x4f -> throw feature(GC, "a subtype declaration (type " + i + ")");
                default -> throw malformed("type " + i + " has the unknown form " + hex(form));
            }
        }
    }

    private void valueTypes(String what) throws GuestLoadException {
        long n = u32("the count of " + what);
        for (long k = 0; k < n; k++) {
            valueType(what);
        }
    }

    /** Reads one value type; accepts the numeric types, v128, funcref and externref. */
    private void valueType(String what) throws GuestLoadException {
        int t = u8(what);
        switch (t) {
            case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f -> {}
            default -> throw refusedValueType(t, what);
        }
    }

    private GuestLoadException refusedValueType(int t, String what) {
        return switch (t) {
            case 0x63, 0x64 -> feature(TYPED_REFERENCES, "a (ref ...) type as " + what);
            case 0x69, 0x74 -> feature(EXCEPTIONS, "an exception reference type as " + what);
            case 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73 ->
                    feature(GC, "a GC reference type (" + hex(t) + ") as " + what);
            default -> malformed(what + " has the unknown value type " + hex(t));
        };
    }

    private void tables() throws GuestLoadException {
        long count = u32("the table count");
        for (int i = 0; i < count; i++) {
            String table = "table " + i;
            int t = u8("the element type of " + table);
            if (t == 0x40) {
                throw feature(TYPED_REFERENCES, "a table with an initializer (" + table + ")");
            }
            if (t != 0x70 && t != 0x6f) {
                throw refusedValueType(t, "the element type of " + table);
            }
            int flags = u8("the limits of " + table);
            if (flags == 0x02 || flags == 0x03) {
                throw feature(THREADS, "a shared table (" + table + ")");
            }
            if (flags >= 0x04 && flags <= 0x07) {
                throw feature(MEMORY64, "a 64-bit table (" + table + ")");
            }
            if (flags > 0x01) {
                throw malformed(table + " has the unknown limits flags " + hex(flags));
            }
            u32("the minimum size of " + table);
            if (flags == 0x01) {
                u32("the maximum size of " + table);
            }
        }
    }

    private void memories() throws GuestLoadException {
        long count = u32("the memory count");
        if (count > 1) {
            throw feature(
                    MULTI_MEMORY,
                    count + " memories; a guest may have one: the ABI's pointers address one");
        }
        if (count == 0) {
            return;
        }
        int flags = u8("the limits of memory 0");
        if (flags == 0x02 || flags == 0x03) {
            throw feature(THREADS, "a shared memory (memory 0)");
        }
        if (flags >= 0x04 && flags <= 0x07) {
            throw feature(MEMORY64, "a 64-bit memory (memory 0)");
        }
        if (flags > 0x01) {
            throw malformed("memory 0 has the unknown limits flags " + hex(flags));
        }
        // its sizes are Chicory's to read and GuestLoader's to cap
    }

    private void globals() throws GuestLoadException {
        long count = u32("the global count");
        if (count > limits.maxGlobals()) {
            throw GuestLoadException.tooLarge(
                    name
                            + ": the module defines "
                            + count
                            + " globals, more than maxGlobals ("
                            + limits.maxGlobals()
                            + ")");
        }
        // their types and initializers are checked on the parsed module (ModuleScreen)
    }

    private void code() throws GuestLoadException {
        long count = u32("the function body count");
        for (long i = 0; i < count; i++) {
            long size = u32("the size of function body " + i);
            if (size > limits.maxFunctionSize()) {
                throw GuestLoadException.tooLarge(
                        name
                                + ": function body "
                                + i
                                + " of the code section is "
                                + size
                                + " bytes, more than maxFunctionSize ("
                                + limits.maxFunctionSize()
                                + " bytes)");
            }
            if (size > b.length - pos) {
                throw malformed("function body " + i + " runs past the end of the module");
            }
            pos += (int) size;
        }
    }

    private int u8(String what) throws GuestLoadException {
        if (pos >= b.length) {
            throw malformed("the module ends where " + what + " should be");
        }
        return b[pos++] & 0xff;
    }

    /** An unsigned LEB128 of at most 5 bytes, as wasm's u32. */
    private long u32(String what) throws GuestLoadException {
        long v = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int x = u8(what);
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                if (v > 0xffff_ffffL) {
                    break;
                }
                return v;
            }
        }
        throw malformed(what + " is not a valid u32 (at byte " + pos + ")");
    }

    private GuestLoadException feature(String proposal, String what) {
        return new GuestLoadException(
                name + ": uses " + proposal + " (" + what + "); " + ModuleScreen.SUPPORTED);
    }

    private GuestLoadException malformed(String what) {
        return new GuestLoadException(name + ": malformed WebAssembly module: " + what);
    }

    static String hex(int x) {
        return String.format(Locale.ROOT, "0x%02x", x);
    }
}
