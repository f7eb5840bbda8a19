package dev.vivarium.core.abi;

import java.util.List;

/** The outbound HTTP family. STUB: owned by the outbound HTTP work. */
public final class HttpHostcalls implements HostcallFamily {
    @Override
    public List<Hostcall> hostcalls() {
        return List.of();
    }
}
