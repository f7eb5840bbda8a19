package dev.vivarium.core.abi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.kv.MutableClock;
import dev.vivarium.core.testing.TestMemory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
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

    @TempDir Path dir;
    final MutableClock clock = new MutableClock();
    final TestMemory mem = new TestMemory(1);
    KvStores stores;
    KvStore kv;
    CallContext ctx;

    @BeforeEach
    void setUp() {
        stores =
                KvStores.open(
                        KvOptions.builder(dir).maxValueSize(64).build(),
                        clock,
                        new SimpleMeterRegistry());
        kv = stores.store("app");
        ctx = mem.builder().kv(kv).build();
    }

    @AfterEach
    void tearDown() {
        stores.close();
    }

    int key(String k) {
        return mem.putAt(KEY, k);
    }

    int value(String v) {
        return mem.putAt(VAL, v);
    }

    int insert(String k, String v) {
        return KvHostcalls.kvstoreInsert(ctx, KEY, key(k), VAL, value(v));
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
        int out = mem.outParams();
        assertEquals(1, KvHostcalls.kvstoreGet(ctx, out, out + 4, KEY, key("k")));
        int ptr = mem.i32(out);
        assertEquals(5, mem.i32(out + 4));
        assertEquals(List.of(6), mem.allocations, "len + 1 for the trailing NUL");
        assertArrayEquals("hello\0".getBytes(UTF_8), mem.bytes(ptr, 6));
    }

    @Test
    void getOfAnEmptyValueIsARealOneByteAllocation() {
        insert("e", "");
        int out = mem.outParams();
        assertEquals(1, KvHostcalls.kvstoreGet(ctx, out, out + 4, KEY, key("e")));
        assertNotEquals(0, mem.i32(out));
        assertEquals(0, mem.i32(out + 4));
        assertEquals(List.of(1), mem.allocations);
    }

    @Test
    void getOfAMissingKeyWritesZeroZeroWithoutAllocating() {
        int out = mem.outParams();
        assertEquals(0, KvHostcalls.kvstoreGet(ctx, out, out + 4, KEY, key("missing")));
        assertEquals(List.of(0, 0), mem.pairOut(out));
        assertEquals(List.of(), mem.allocations);
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
        int out = mem.outParams();
        assertEquals(0, KvHostcalls.kvstoreGet(ctx, out, out + 4, KEY, key("t")));
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
        mem.memory.write(KEY, new byte[] {'k', (byte) 0xC3, (byte) 0x28});
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
        int out = mem.outParams();
        assertThrows(
                HostcallTrap.class,
                () -> KvHostcalls.kvstoreGet(ctx, 70000, out + 4, KEY, key("k")));
        assertEquals(List.of(), mem.allocations, "out-params are checked before allocating");
    }

    @Test
    void aBrokenLimitIsALimitTrapNamingTheLimitAndNothingIsWritten() {
        mem.memory.write(VAL, new byte[65]);
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
        // the builder's memory without an allocator: as if the guest never called init_mm
        CallContext noAllocator = mem.builder().kv(kv).memory(mem.memory, null).build();
        int out = mem.outParams();
        HostcallTrap trap =
                assertThrows(
                        HostcallTrap.class,
                        () -> KvHostcalls.kvstoreGet(noAllocator, out, out + 4, KEY, key("k")));
        assertTrue(trap.getMessage().contains("never called hostcall_init_mm"), trap.getMessage());
        // nothing needs allocating for a missing key, so that still works
        assertEquals(0, KvHostcalls.kvstoreGet(noAllocator, out, out + 4, KEY, key("none")));
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
