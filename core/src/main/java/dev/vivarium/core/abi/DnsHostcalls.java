package dev.vivarium.core.abi;

import java.util.List;

/** The DNS family. STUB: owned by the DNS work. */
public final class DnsHostcalls implements HostcallFamily {
    @Override
    public List<Hostcall> hostcalls() {
        return List.of();
    }
}
