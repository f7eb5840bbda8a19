package dev.vivarium.core.engine;

/**
 * What a guest module may declare, checked when it is loaded ({@link GuestLoader}), before Chicory
 * parses or compiles it. They bound what one module costs the server: the memory of each instance
 * beyond its linear memory (tables, globals) and the time and memory parsing and compiling take.
 * The defaults are far above what real guests use (a Rust guest of this repository has one table of
 * about 150 entries, 3 globals, 20 types, br_tables of at most 79 targets and functions under 40
 * KiB) and far below what hurts the server.
 *
 * @param maxMemoryPages setting {@code maxMemoryPages}: linear memory of one instance, in 64 KiB
 *     pages
 * @param maxTableEntries setting {@code maxTableEntries}: entries of all tables of one instance
 *     together (about 8 bytes each), what they may grow to included
 * @param maxGlobals setting {@code maxGlobals}: globals a module may define
 * @param maxFunctionSize setting {@code maxFunctionSize}: bytes of one function body
 * @param maxBrTableTargets setting {@code maxBrTableTargets}: targets of all {@code br_table}
 *     instructions of a module together (compiling one takes time that grows with the square of its
 *     targets; one of more than {@value #BR_TABLE_TARGETS_PER_INSTRUCTION} can never be compiled)
 * @param maxTypes setting {@code maxTypes}: entries of the type section
 */
public record GuestLimits(
        int maxMemoryPages,
        int maxTableEntries,
        int maxGlobals,
        int maxFunctionSize,
        int maxBrTableTargets,
        int maxTypes) {

    public static final int DEFAULT_MAX_MEMORY_PAGES = 256;
    public static final int DEFAULT_MAX_TABLE_ENTRIES = 65_536;
    public static final int DEFAULT_MAX_GLOBALS = 1_024;
    public static final int DEFAULT_MAX_FUNCTION_SIZE = 1 << 20;
    public static final int DEFAULT_MAX_BR_TABLE_TARGETS = 65_536;
    public static final int DEFAULT_MAX_TYPES = 10_000;

    /**
     * The most targets one {@code br_table} can have and still be compiled: Chicory compiles it to
     * a JVM {@code tableswitch} of 4 bytes a target, in a method of at most 64 KiB.
     */
    public static final int BR_TABLE_TARGETS_PER_INSTRUCTION = 16_384;

    private static final GuestLimits DEFAULTS =
            new GuestLimits(
                    DEFAULT_MAX_MEMORY_PAGES,
                    DEFAULT_MAX_TABLE_ENTRIES,
                    DEFAULT_MAX_GLOBALS,
                    DEFAULT_MAX_FUNCTION_SIZE,
                    DEFAULT_MAX_BR_TABLE_TARGETS,
                    DEFAULT_MAX_TYPES);

    public GuestLimits {
        positive("maxTableEntries", maxTableEntries);
        positive("maxGlobals", maxGlobals);
        positive("maxFunctionSize", maxFunctionSize);
        positive("maxBrTableTargets", maxBrTableTargets);
        positive("maxTypes", maxTypes);
        if (maxMemoryPages < 0 || maxMemoryPages > 65536) {
            // 0 is for guests without memory
            throw new IllegalArgumentException(
                    "maxMemoryPages must be 0 to 65536, not " + maxMemoryPages);
        }
    }

    /** Every limit at its default. */
    public static GuestLimits defaults() {
        return DEFAULTS;
    }

    /** The defaults with {@code maxMemoryPages} instead. */
    public static GuestLimits withMemoryPages(int maxMemoryPages) {
        return DEFAULTS.withMaxMemoryPages(maxMemoryPages);
    }

    public GuestLimits withMaxMemoryPages(int pages) {
        return new GuestLimits(
                pages, maxTableEntries, maxGlobals, maxFunctionSize, maxBrTableTargets, maxTypes);
    }

    public GuestLimits withMaxTableEntries(int entries) {
        return new GuestLimits(
                maxMemoryPages, entries, maxGlobals, maxFunctionSize, maxBrTableTargets, maxTypes);
    }

    public GuestLimits withMaxGlobals(int globals) {
        return new GuestLimits(
                maxMemoryPages,
                maxTableEntries,
                globals,
                maxFunctionSize,
                maxBrTableTargets,
                maxTypes);
    }

    public GuestLimits withMaxFunctionSize(int bytes) {
        return new GuestLimits(
                maxMemoryPages, maxTableEntries, maxGlobals, bytes, maxBrTableTargets, maxTypes);
    }

    public GuestLimits withMaxBrTableTargets(int targets) {
        return new GuestLimits(
                maxMemoryPages, maxTableEntries, maxGlobals, maxFunctionSize, targets, maxTypes);
    }

    public GuestLimits withMaxTypes(int types) {
        return new GuestLimits(
                maxMemoryPages,
                maxTableEntries,
                maxGlobals,
                maxFunctionSize,
                maxBrTableTargets,
                types);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be 1 or more, not " + value);
        }
    }
}
