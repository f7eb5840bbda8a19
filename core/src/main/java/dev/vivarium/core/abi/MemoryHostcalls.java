package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.Hostcall.i;

import java.util.List;

/** {@code hostcall_init_mm}: registers the guest's allocator (see {@code guests/ABI.md}). */
public final class MemoryHostcalls implements HostcallFamily {
    @Override
    public List<Hostcall> hostcalls() {
        return List.of(
                Hostcall.voidI32(
                        "hostcall_init_mm", 2, (c, a) -> c.registerAllocator(i(a[0]), i(a[1]))));
    }
}
