package dev.vivarium.core.abi;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.config.IsolationOptions;
import dev.vivarium.core.dns.DnsResolver;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.log.GuestLog;
import dev.vivarium.core.log.LogBudget;
import dev.vivarium.core.outbound.OutboundSession;
import dev.vivarium.core.resources.HostBuffers;
import dev.vivarium.core.resources.NoMemoryException;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one guest request owns while its {@code run} executes: the incoming request, the
 * outgoing response being built, the guest's allocator, the guest's handle tables ({@link
 * OutboundHandles}) and the deployment's services. Built by the dispatcher per request, released in
 * one {@code finally} with {@link #close()}. Single-threaded, like the instance it serves.
 */
public final class CallContext implements AutoCloseable, Outcome.Release {
    private static final FunctionType MALLOC_TYPE =
            FunctionType.of(List.of(ValType.I32), List.of(ValType.I32));
    private static final FunctionType FREE_TYPE = FunctionType.of(List.of(ValType.I32), List.of());
    private static final RandomGenerator SHARED_RANDOM = new java.security.SecureRandom();
    private static final byte[] NO_BODY = new byte[0];

    private final String guestName;
    private final GuestRequest request;

    /** What this request shares with the other requests of its route. */
    private final Environment env;

    private final long deadlineNanos;
    private GuestLog guestLog;

    /**
     * Bytes counted in the environment's buffers for this request: its request and response bodies.
     */
    private long requestBodyHeld;

    private long responseBodyHeld;

    /** Looked up on first use: most requests never log, and the lookup builds a string. */
    private Logger log;

    private Instance instance;
    private GuestMemory memory;
    private int mallocFunction = -1;

    /** The pages the host grew for a guest without an allocator: next free byte, end. */
    private long hostRegionNext;

    private long hostRegionEnd;

    private int status = 200;
    private final Headers responseHeaders = new Headers();
    private byte[] responseBody = NO_BODY;
    private String panicMessage;
    private OutboundHandles outbound;

    private CallContext(
            String guestName, GuestRequest request, Environment env, long deadlineNanos) {
        this.guestName = Objects.requireNonNull(guestName, "guestName");
        this.request = Objects.requireNonNull(request, "request");
        this.env = Objects.requireNonNull(env, "env");
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * The context of one request of a route: the engine's way, with no builder in between (one is
     * built for every request).
     *
     * @param deadlineNanos {@code System.nanoTime()} by which the request must end
     */
    public static CallContext of(
            String guestName, GuestRequest request, Environment env, long deadlineNanos) {
        return new CallContext(guestName, request, env, deadlineNanos);
    }

    private CallContext(Builder b) {
        this(b.guestName, b.request, b.environment(), b.deadlineNanos);
        this.log = b.log;
        this.guestLog = b.guestLog;
        if (b.memory != null) {
            this.memory =
                    new GuestMemory(b.memory, b.allocator != null ? b.allocator : this::malloc);
        }
    }

    /**
     * What the requests of one route share, built once per route (not per request).
     *
     * @param clock the guest's time
     * @param random the guest's randomness
     * @param kv the deployment's store, or null if it has none
     * @param dns the resolver of the DNS hostcalls, or null: none
     * @param maxResponseBodySize the largest body the guest may answer with
     * @param buffers where request and response bodies are accounted; null: nowhere
     * @param services what a request opens on first use (guest log, outbound); null: the default
     *     log, no outbound
     */
    public record Environment(
            Clock clock,
            RandomGenerator random,
            KvStore kv,
            DnsResolver dns,
            long maxResponseBodySize,
            HostBuffers buffers,
            Services services) {
        public Environment {
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(random, "random");
        }
    }

    /** Opens, on first use, what most requests never use. */
    public interface Services {
        /** The guest's output for the request of {@code ctx}, or null for the default. */
        GuestLog guestLog(CallContext ctx);

        /** The outbound session of the request of {@code ctx}, or null if it may send none. */
        OutboundSession outbound(CallContext ctx);
    }

    public static Builder builder(String guestName, GuestRequest request) {
        return new Builder(guestName, request);
    }

    /** Binds the context to the instance that runs this request (memory and allocator). */
    public void bind(Instance instance) {
        this.instance = instance;
        // a guest without memory may still call hostcalls that take no pointers
        this.memory =
                instance.memory() == null ? null : new GuestMemory(instance.memory(), this::malloc);
    }

    /**
     * Binds the context to the instance that runs this request, with the instance's {@link
     * #instanceMemory} (null if it has no memory), so no per-request view is built.
     */
    public void bind(Instance instance, GuestMemory instanceMemory) {
        this.instance = instance;
        this.memory = instanceMemory;
    }

    /**
     * The view of an instance's memory that hostcalls use, built once per instance: its allocator
     * is the guest's malloc of whichever request {@code slot} holds (see {@link #bind(Instance,
     * GuestMemory)}).
     */
    public static GuestMemory instanceMemory(Memory memory, Hostcalls.Slot slot) {
        return new GuestMemory(
                memory,
                size -> {
                    CallContext ctx = slot.current();
                    if (ctx == null) {
                        throw new HostcallTrap("no request to allocate guest memory for");
                    }
                    return ctx.malloc(size);
                });
    }

    public GuestMemory memory() {
        if (memory == null) {
            throw new HostcallTrap("the guest has no linear memory");
        }
        return memory;
    }

    public String guestName() {
        return guestName;
    }

    public GuestRequest request() {
        return request;
    }

    public Clock clock() {
        return env.clock();
    }

    public RandomGenerator random() {
        return env.random();
    }

    public DnsResolver dns() {
        return env.dns();
    }

    /** The guest's logger, {@code vivarium.guest.<guest>}. */
    public Logger log() {
        if (log == null) {
            log = LoggerFactory.getLogger("vivarium.guest." + guestName);
        }
        return log;
    }

    /**
     * Where the guest's output goes ({@code hostcall_debug}, and WASI {@code fd_write} to stdout or
     * stderr): the server log, within this request's and its deployment's budgets. Without one
     * given to the builder, the default per-request budget with no deployment budget.
     */
    public GuestLog guestLog() {
        if (guestLog == null && env.services() != null) {
            guestLog = env.services().guestLog(this);
        }
        if (guestLog == null) {
            guestLog =
                    new GuestLog(
                            log(),
                            guestName,
                            request.path(),
                            IsolationOptions.DEFAULT_LOG_LINES,
                            IsolationOptions.DEFAULT_LOG_BYTES,
                            LogBudget.UNLIMITED);
        }
        return guestLog;
    }

    /** {@code System.nanoTime()} by which this request must end; blocking hostcalls respect it. */
    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** The deployment's KV store. */
    public KvStore kv() {
        KvStore kv = env.kv();
        if (kv == null) {
            throw new HostcallTrap("this deployment has no key-value store");
        }
        return kv;
    }

    /** This request's outbound handles over its outbound HTTP session, both opened on first use. */
    public OutboundHandles outbound() {
        if (outbound == null) {
            Services services = env.services();
            OutboundSession session = services == null ? null : services.outbound(this);
            if (session == null) {
                throw new HostcallTrap("outbound HTTP is not available to this deployment");
            }
            outbound = new OutboundHandles(session);
        }
        return outbound;
    }

    /** This request's outbound handles if the guest opened them, else null; never opens. */
    public OutboundHandles outboundIfOpen() {
        return outbound;
    }

    // --- the outgoing response -------------------------------------------------------------

    public int status() {
        return status;
    }

    public void setStatus(int status) {
        this.status = status;
    }

    public Headers responseHeaders() {
        return responseHeaders;
    }

    public byte[] responseBody() {
        return responseBody;
    }

    public long maxResponseBodySize() {
        return env.maxResponseBodySize();
    }

    public void setResponseBody(byte[] body) {
        this.responseBody = body;
    }

    /**
     * Counts the request body the host holds for this request against the engine's memory limit,
     * before the guest runs.
     *
     * @throws NoMemoryException if it does not fit
     */
    public void holdRequestBody() {
        byte[] body = request.body();
        HostBuffers buffers = env.buffers();
        if (buffers != null && body.length > 0 && requestBodyHeld == 0) {
            buffers.hold(body.length, "request body");
            requestBodyHeld = body.length;
        }
    }

    /**
     * Counts a response body of {@code bytes} about to be copied out of the guest, instead of the
     * one it replaces.
     *
     * @throws NoMemoryException if it does not fit
     */
    public void holdResponseBody(long bytes) {
        HostBuffers buffers = env.buffers();
        if (buffers == null) {
            return;
        }
        if (bytes > 0) {
            // the body it replaces is alive until the copy is made
            buffers.hold(bytes, "response body");
        }
        buffers.release(responseBodyHeld);
        responseBodyHeld = bytes;
    }

    public String panicMessage() {
        return panicMessage;
    }

    public void setPanicMessage(String message) {
        this.panicMessage = message;
    }

    // --- the guest allocator (init_mm) ------------------------------------------------------

    /**
     * Registers the guest's malloc, given as an index into its function table. Checked here so a
     * wrong index fails at {@code init_mm} with a clear message, not at the first allocation.
     */
    public void registerAllocator(int mallocIndex, int freeIndex) {
        if (instance == null) {
            throw new HostcallTrap("no instance to register an allocator for");
        }
        int known = memory == null ? -1 : memory.resolvedAllocator(mallocIndex, freeIndex);
        if (known >= 0) {
            this.mallocFunction = known;
            return;
        }
        this.mallocFunction = resolveTableFunction(mallocIndex, MALLOC_TYPE, "malloc");
        resolveTableFunction(freeIndex, FREE_TYPE, "free");
        if (memory != null) {
            memory.resolvedAllocator(mallocIndex, freeIndex, mallocFunction);
        }
    }

    private int resolveTableFunction(int tableIndex, FunctionType expected, String what) {
        if (instance.module().tableSection().tableCount() == 0
                && instance.imports().tableCount() == 0) {
            throw new HostcallTrap("the guest has no function table for its " + what);
        }
        var table = instance.table(0);
        if (tableIndex < 0 || tableIndex >= table.size()) {
            throw new HostcallTrap(
                    what + " index " + tableIndex + " is outside the function table");
        }
        int function = table.ref(tableIndex);
        if (function < 0
                || table.instance(tableIndex) != null && table.instance(tableIndex) != instance) {
            throw new HostcallTrap(what + " index " + tableIndex + " is not a guest function");
        }
        var imports = instance.module().importSection();
        if (function < imports.count(ExternalType.FUNCTION)) {
            // guests import only functions (GuestLoader), so the import's index is the function's
            throw new HostcallTrap(
                    what
                            + " index "
                            + tableIndex
                            + " is the imported hostcall "
                            + imports.getImport(function).name()
                            + ", not a function defined in the guest");
        }
        FunctionType actual = instance.type(instance.functionType(function));
        if (!actual.equals(expected)) {
            throw new HostcallTrap(
                    what
                            + " index "
                            + tableIndex
                            + " has type "
                            + actual
                            + ", expected "
                            + expected);
        }
        return function;
    }

    private int malloc(int size) {
        if (mallocFunction < 0) {
            return hostAllocate(size);
        }
        // the memory view lives as long as the instance: its argument array is reused
        long[] args = memory().mallocArgs;
        args[0] = size;
        long[] result = instance.getMachine().call(mallocFunction, args);
        int ptr = (int) result[0];
        if (ptr == 0) {
            throw new HostcallTrap("the guest's malloc(" + size + ") returned NULL");
        }
        return ptr;
    }

    /**
     * Places data for a guest that never called {@code hostcall_init_mm}: the host grows the
     * guest's memory and hands out the new pages, bump-style, for the rest of the request. The
     * guest owns nothing there that the host could overwrite (the pages did not exist), and the
     * instance's reset gives them back. A grow counts against {@code maxMemoryPages} and the
     * engine's memory budget like the guest's own {@code memory.grow}; when it is refused the
     * request fails with a clear error. See {@code guests/ABI.md}, "Guests without an allocator".
     */
    private int hostAllocate(int size) {
        Memory mem = memory().memory();
        long need = (Integer.toUnsignedLong(size) + 7) & ~7L;
        long end = (long) mem.pages() * Memory.PAGE_SIZE;
        if (hostRegionEnd - hostRegionNext < need) {
            // extend the region when it ends where memory ends, else start one at the end
            long reuse = hostRegionEnd == end ? hostRegionEnd - hostRegionNext : 0;
            // a memory of 0 pages: address 0 is NULL to the guest, so the region starts at 8
            long skip = end == 0 ? 8 : 0;
            int pages = (int) ((need + skip - reuse + Memory.PAGE_SIZE - 1) / Memory.PAGE_SIZE);
            int before = mem.grow(pages);
            if (before < 0) {
                throw HostcallTrap.limit(
                        "the host needs to allocate "
                                + size
                                + " bytes in the guest, which never called hostcall_init_mm,"
                                + " but its memory of "
                                + mem.pages()
                                + " pages cannot grow by "
                                + pages);
            }
            long start = (long) before * Memory.PAGE_SIZE;
            if (reuse == 0) {
                hostRegionNext = start + skip;
            }
            hostRegionEnd = start + (long) pages * Memory.PAGE_SIZE;
        }
        long ptr = hostRegionNext;
        hostRegionNext += need;
        return (int) ptr;
    }

    /**
     * Releases what the request opened (in-flight outbound requests). The bodies stay counted until
     * {@link #releaseBodies()}: the adapter still holds them while it writes the response.
     */
    @Override
    public void close() {
        if (guestLog != null) {
            // the "n lines dropped" line, once per request
            guestLog.close();
        }
        if (outbound != null) {
            OutboundHandles o = outbound;
            outbound = null;
            o.close();
        }
    }

    /** Gives back the bytes counted for the request's and the response's bodies. Idempotent. */
    @Override
    public void releaseBodies() {
        HostBuffers buffers = env.buffers();
        if (buffers != null) {
            long held = requestBodyHeld + responseBodyHeld;
            requestBodyHeld = 0;
            responseBodyHeld = 0;
            buffers.release(held);
        }
    }

    /**
     * Builds a context from the parts of an {@link Environment} set one by one (tests and tools;
     * the engine uses {@link #of}); {@code memory} and {@code allocator} are for tests without a
     * guest.
     */
    public static final class Builder {
        private final String guestName;
        private final GuestRequest request;
        private Clock clock = Clock.systemUTC();
        private RandomGenerator random;
        private KvStore kv;
        private Supplier<OutboundSession> outbound;
        private DnsResolver dns;
        private long maxResponseBodySize = Long.MAX_VALUE;
        private long deadlineNanos =
                System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
        private Memory memory;
        private GuestAllocator allocator;
        private HostBuffers buffers;
        private Logger log;
        private GuestLog guestLog;
        private Supplier<GuestLog> guestLogFactory;

        private Builder(String guestName, GuestRequest request) {
            this.guestName = Objects.requireNonNull(guestName, "guestName");
            this.request = request;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        public Builder random(RandomGenerator random) {
            this.random = random;
            return this;
        }

        public Builder kv(KvStore kv) {
            this.kv = kv;
            return this;
        }

        public Builder outbound(Supplier<OutboundSession> outbound) {
            this.outbound = outbound;
            return this;
        }

        public Builder dns(DnsResolver dns) {
            this.dns = dns;
            return this;
        }

        public Builder maxResponseBodySize(long max) {
            this.maxResponseBodySize = max;
            return this;
        }

        /** {@code System.nanoTime()} by which the request must end. */
        public Builder deadlineNanos(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
            return this;
        }

        /** Where the request's bodies are accounted; none by default. */
        public Builder hostBuffers(HostBuffers buffers) {
            this.buffers = buffers;
            return this;
        }

        /** Where guest output goes; {@code vivarium.guest.<guest>} by default. */
        public Builder log(Logger log) {
            this.log = log;
            return this;
        }

        /** Where the guest's output goes, with the request's and deployment's budgets. */
        public Builder guestLog(GuestLog guestLog) {
            this.guestLog = guestLog;
            return this;
        }

        /**
         * Where the guest's output goes, built on its first line ({@link CallContext#guestLog()}):
         * most requests never log, so most never pay for it.
         */
        public Builder guestLog(Supplier<GuestLog> factory) {
            this.guestLogFactory = factory;
            return this;
        }

        /** A standalone memory and allocator, for hostcall tests that run no guest. */
        public Builder memory(Memory memory, GuestAllocator allocator) {
            this.memory = memory;
            this.allocator = allocator;
            return this;
        }

        public CallContext build() {
            return new CallContext(this);
        }

        /** The environment of the parts set one by one. */
        private Environment environment() {
            Supplier<OutboundSession> o = outbound;
            Supplier<GuestLog> g = guestLogFactory;
            Services s =
                    o == null && g == null
                            ? null
                            : new Services() {
                                @Override
                                public GuestLog guestLog(CallContext ctx) {
                                    return g == null ? null : g.get();
                                }

                                @Override
                                public OutboundSession outbound(CallContext ctx) {
                                    return o == null ? null : o.get();
                                }
                            };
            return new Environment(
                    clock,
                    random != null ? random : SHARED_RANDOM,
                    kv,
                    dns,
                    maxResponseBodySize,
                    buffers,
                    s);
        }
    }
}
