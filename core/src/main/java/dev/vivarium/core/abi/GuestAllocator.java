package dev.vivarium.core.abi;

/** The guest's {@code malloc}, registered with {@code hostcall_init_mm}. */
@FunctionalInterface
public interface GuestAllocator {
    /**
     * Allocates {@code size} (at least 1) bytes in guest memory.
     *
     * @return the guest pointer, never 0
     * @throws HostcallTrap if the guest has no allocator or its malloc fails
     */
    int malloc(int size);
}
