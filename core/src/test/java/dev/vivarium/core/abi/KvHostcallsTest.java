package dev.vivarium.core.abi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.ValType;
import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.kv.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The KV hostcalls on a standalone memory with a bump allocator: no guest at all. */
@Timeout(60)
class KvHostcallsTest {
    static final int KEY = 16;
    static final int VAL = 1024;
    static final int PTR_P = 4000;
    static final int LEN_P = 4004;

    @TempDir Path dir;
    final MutableClock clock = new MutableClock();
    final Memory memory = new ByteArrayMemory(new MemoryLimits(1));
    final List<Integer> mallocs = new ArrayList<>();
    KvStores stores;
    KvStore kv;
    CallContext ctx;
    int heap = 8192;

    @BeforeEach
    void setUp() {
        stores =
                KvStores.open(
                        KvOptions.builder(dir).maxValueSize(64).build(),
                        clock,
                        new SimpleMeterRegistry());
        kv = stores.store("app");
        ctx = context(kv, true);
    }

    CallContext context(KvStore store, boolean withAllocator) {
        GuestAllocator bump =
                size -> {
                    mallocs.add(size);
                    int p = heap;
                    heap += (size + 7) & ~7;
                    return p;
                };
        return CallContext.builder(
                        "test", new GuestRequest("GET", "/", "x", new Headers(), null, ""))
                .kv(store)
                .memory(memory, withAllocator ? bump : null)
                .build();
    }

    @AfterEach
    void tearDown() {
        stores.close();
    }

    int key(String k) {
        byte[] b = k.getBytes(UTF_8);
        memory.write(KEY, b);
        return b.length;
    }

    int value(String v) {
        byte[] b = v.getBytes(UTF_8);
        memory.write(VAL, b);
        return b.length;
    }

    int insert(String k, String v) {
        return KvHostcalls.kvstoreInsert(ctx, KEY, key(k), VAL, value(v));
    }

    void garbageOutParams() {
        memory.writeI32(PTR_P, 0x77777770);
        memory.writeI32(LEN_P, 0x5555);
    }

    @Test
    void insertReturnsOneOnlyWhenTheKeyWasAbsentAndOverwrites() {
        assertEquals(1, insert("k", "v1"));
        assertEquals(0, insert("k", "v2"));
        assertArrayEquals("v2".getBytes(UTF_8), kv.get("k"));
    }

    @Test
    void upsertInsertsOnlyIfAbsent() {
        assertEquals(1, KvHostcalls.kvstoreUpsert(ctx, KEY, key("u"), VAL, value("u1")));
        assertEquals(0, KvHostcalls.kvstoreUpsert(ctx, KEY, key("u"), VAL, value("u2")));
        assertArrayEquals("u1".getBytes(UTF_8), kv.get("u"));
    }

    @Test
    void appendAppendsOrInserts() {
        assertEquals(1, KvHostcalls.kvstoreAppend(ctx, KEY, key("a"), VAL, value("a")));
        assertEquals(0, KvHostcalls.kvstoreAppend(ctx, KEY, key("a"), VAL, value("b")));
        assertArrayEquals("ab".getBytes(UTF_8), kv.get("a"));
    }

    @Test
    void getOfAFoundValueWritesAMallocdNulTerminatedCopy() {
        insert("k", "hello");
        garbageOutParams();
        assertEquals(1, KvHostcalls.kvstoreGet(ctx, PTR_P, LEN_P, KEY, key("k")));
        int ptr = memory.readInt(PTR_P);
        assertEquals(5, memory.readInt(LEN_P));
        assertEquals(List.of(6), mallocs, "len + 1 for the trailing NUL");
        assertArrayEquals("hello\0".getBytes(UTF_8), memory.readBytes(ptr, 6));
    }

    @Test
    void getOfAnEmptyValueIsARealOneByteAllocation() {
        insert("e", "");
        garbageOutParams();
        assertEquals(1, KvHostcalls.kvstoreGet(ctx, PTR_P, LEN_P, KEY, key("e")));
        assertNotEquals(0, memory.readInt(PTR_P));
        assertEquals(0, memory.readInt(LEN_P));
        assertEquals(List.of(1), mallocs);
    }

    @Test
    void getOfAMissingKeyWritesZeroZeroWithoutAllocating() {
        garbageOutParams();
        assertEquals(0, KvHostcalls.kvstoreGet(ctx, PTR_P, LEN_P, KEY, key("missing")));
        assertEquals(0, memory.readInt(PTR_P));
        assertEquals(0, memory.readInt(LEN_P));
        assertEquals(List.of(), mallocs);
    }

    @Test
    void removeReturnsOneThenZero() {
        insert("r", "v");
        assertEquals(1, KvHostcalls.kvstoreRemove(ctx, KEY, key("r")));
        assertEquals(0, KvHostcalls.kvstoreRemove(ctx, KEY, key("r")));
        assertNull(kv.get("r"));
    }

    @Test
    void insertTtlExpiresOnTheStoreClockAndRefusesNonPositiveTtls() {
        assertEquals(1, KvHostcalls.kvstoreInsertTtl(ctx, KEY, key("t"), VAL, value("v"), 1000));
        assertEquals(0, KvHostcalls.kvstoreInsertTtl(ctx, KEY, key("t"), VAL, value("v"), 1000));
        clock.advance(Duration.ofMillis(999));
        assertEquals(0, KvHostcalls.kvstoreUpsert(ctx, KEY, key("t"), VAL, value("w")));
        clock.advance(Duration.ofMillis(1));
        garbageOutParams();
        assertEquals(0, KvHostcalls.kvstoreGet(ctx, PTR_P, LEN_P, KEY, key("t")));
        for (long ttl : new long[] {0, -1, Long.MIN_VALUE}) {
            HostcallTrap trap =
                    assertThrows(
                            HostcallTrap.class,
                            () ->
                                    KvHostcalls.kvstoreInsertTtl(
                                            ctx, KEY, key("z"), VAL, value("v"), ttl));
            assertEquals("ttl_millis must be greater than zero, got " + ttl, trap.getMessage());
        }
        assertNull(kv.get("z"));
    }

    @Test
    void aKeyThatIsNotUtf8TrapsAndWritesNothing() {
        memory.write(KEY, new byte[] {'k', (byte) 0xC3, (byte) 0x28});
        HostcallTrap trap =
                assertThrows(
                        HostcallTrap.class,
                        () -> KvHostcalls.kvstoreInsert(ctx, KEY, 3, VAL, value("v")));
        assertEquals("KV key at 0x10 (3 bytes) is not valid UTF-8", trap.getMessage());
        assertEquals(List.of(), stores.keys("app", 10));
        assertEquals(1, KvHostcalls.kvstoreInsert(ctx, KEY, key("ключ"), VAL, value("v")));
        assertEquals(List.of("ключ"), stores.keys("app", 10));
    }

    @Test
    void outOfBoundsPointersTrap() {
        HostcallTrap trap =
                assertThrows(
                        HostcallTrap.class,
                        () -> KvHostcalls.kvstoreInsert(ctx, 0xfffff000, 16, VAL, 1));
        assertTrue(trap.getMessage().startsWith("KV key at 0xfffff000"), trap.getMessage());
        trap =
                assertThrows(
                        HostcallTrap.class,
                        () -> KvHostcalls.kvstoreInsert(ctx, KEY, key("k"), 65530, 100));
        assertTrue(trap.getMessage().startsWith("KV value at 0xfffa"), trap.getMessage());
        insert("k", "v");
        assertThrows(
                HostcallTrap.class, () -> KvHostcalls.kvstoreGet(ctx, 70000, LEN_P, KEY, key("k")));
        assertEquals(List.of(), mallocs, "out-params are checked before allocating");
    }

    @Test
    void aBrokenLimitIsALimitTrapNamingTheLimitAndNothingIsWritten() {
        memory.write(VAL, new byte[65]);
        HostcallTrap trap =
                assertThrows(
                        HostcallTrap.class,
                        () -> KvHostcalls.kvstoreInsert(ctx, KEY, key("big"), VAL, 65));
        assertEquals(Outcome.Kind.LIMIT, trap.kind());
        assertEquals("KV value of 65 bytes exceeds kv.maxValueSize (64 bytes)", trap.getMessage());
        assertNull(kv.get("big"));
    }

    @Test
    void aFoundValueWithoutInitMmFailsWithTheClearError() {
        insert("k", "v");
        CallContext noAllocator = context(kv, false);
        HostcallTrap trap =
                assertThrows(
                        HostcallTrap.class,
                        () -> KvHostcalls.kvstoreGet(noAllocator, PTR_P, LEN_P, KEY, key("k")));
        assertTrue(trap.getMessage().contains("never called hostcall_init_mm"), trap.getMessage());
        // nothing needs allocating for a missing key, so that still works
        assertEquals(0, KvHostcalls.kvstoreGet(noAllocator, PTR_P, LEN_P, KEY, key("none")));
    }

    @Test
    void theFamilyListsEveryKvHostcallWithItsExactType() {
        FunctionType four =
                FunctionType.of(
                        List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32),
                        List.of(ValType.I32));
        for (String name :
                List.of(
                        "hostcall_kvstore_insert",
                        "hostcall_kvstore_upsert",
                        "hostcall_kvstore_append",
                        "hostcall_kvstore_get")) {
            assertEquals(four, Hostcalls.all().get(name).type(), name);
        }
        assertEquals(
                FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I32)),
                Hostcalls.all().get("hostcall_kvstore_remove").type());
        Hostcall ttl = Hostcalls.all().get("hostcall_kvstore_insert_ttl");
        assertEquals(
                FunctionType.of(
                        List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I64),
                        List.of(ValType.I32)),
                ttl.type());
        long r = ttl.body().call(ctx, new long[] {KEY, key("viaBody"), VAL, value("v"), 60_000L});
        assertEquals(1, r);
    }
}
