package dev.vivarium.core.abi;

import java.util.List;

/** The KV family. STUB: owned by the KV work. */
public final class KvHostcalls implements HostcallFamily {
    @Override
    public List<Hostcall> hostcalls() {
        return List.of();
    }
}
