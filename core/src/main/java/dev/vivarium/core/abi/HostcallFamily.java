package dev.vivarium.core.abi;

import java.util.List;

/**
 * One family of hostcalls (request, response, KV, ...). Families are stateless: everything a
 * request owns lives in its {@link CallContext}. {@link Hostcalls} lists them all.
 */
public interface HostcallFamily {
    /** The family's hostcalls, each naming its import module. */
    List<Hostcall> hostcalls();
}
