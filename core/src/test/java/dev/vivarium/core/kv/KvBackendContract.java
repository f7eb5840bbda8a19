package dev.vivarium.core.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.abi.CallContext;
import dev.vivarium.core.abi.HostcallTrap;
import dev.vivarium.core.abi.KvHostcalls;
import dev.vivarium.core.testing.TestMemory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every KV backend must do, run through {@link KvStores} (the layer the hostcalls reach) and
 * through the hostcalls themselves on a standalone memory. A backend passes it with one small
 * subclass (published in core's test-jar):
 *
 * <pre>{@code
 * class PostgresKvContractTest extends KvBackendContract {
 *     @Override
 *     protected KvOptions.Builder options() {
 *         return KvOptions.builder(tmp).backend("postgresql").backendSetting("kv.jdbc.url", url);
 *     }
 * }
 * }</pre>
 *
 * <p>Every call of {@link #options()} within one test must reach the same data (the suite closes
 * the stores and opens them again to check durability), and each test must start with no stores (a
 * fresh directory, schema or database per test, or a subclass {@code @BeforeEach} that empties it).
 * The suite sets the limits and the clock itself: a {@link MutableClock}, so nothing sleeps except
 * {@link #theExpiryThreadRunsEveryPurgeInterval}.
 */
@Timeout(120)
public abstract class KvBackendContract {
    public static final int THREADS = 16;

    protected final MutableClock clock = new MutableClock();
    protected final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    protected KvStores stores;
    private final List<KvStores> opened = new ArrayList<>();

    /** Options for the backend under test (with its own settings); the suite adds the limits. */
    protected abstract KvOptions.Builder options();

    /** Opens the stores with {@code options}; closed after the test. */
    protected KvStores open(KvOptions options) {
        stores = KvStores.open(options, clock, registry);
        opened.add(stores);
        return stores;
    }

    protected KvStores open() {
        return open(options().build());
    }

    /** Closes the stores and opens them again over the same data, as after a restart. */
    protected KvStores reopen() {
        KvOptions o = stores.options();
        stores.close();
        return open(o);
    }

    @AfterEach
    void closeStores() {
        for (KvStores s : opened) {
            s.close();
        }
    }

    protected static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    // --- the operations ---------------------------------------------------------------------

    @Test
    void insertOverwritesAndReportsWhetherTheKeyWasAbsent() {
        KvStore kv = open().store("app");
        assertTrue(kv.insert("k", b("v1")));
        assertFalse(kv.insert("k", b("v2")));
        assertArrayEquals(b("v2"), kv.get("k"));
    }

    @Test
    void upsertInsertsOnlyIfAbsentAndLeavesTheExistingValue() {
        KvStore kv = open().store("app");
        assertTrue(kv.upsert("k", b("u1")));
        assertFalse(kv.upsert("k", b("u2")));
        assertArrayEquals(b("u1"), kv.get("k"));
    }

    @Test
    void appendConcatenatesOrInserts() {
        KvStore kv = open().store("app");
        assertTrue(kv.append("k", b("a")));
        assertFalse(kv.append("k", b("b")));
        assertFalse(kv.append("k", new byte[0]));
        assertArrayEquals(b("ab"), kv.get("k"));
    }

    @Test
    void removeReportsWhetherTheKeyWasThereAndEmptyValuesAreValues() {
        KvStore kv = open().store("app");
        assertTrue(kv.insert("empty", new byte[0]));
        assertArrayEquals(new byte[0], kv.get("empty"));
        assertTrue(kv.remove("empty"));
        assertFalse(kv.remove("empty"));
        assertNull(kv.get("empty"));
    }

    @Test
    void aStoredValueIsACopyNeitherSideCanChangeAfterwards() {
        KvStore kv = open().store("app");
        byte[] given = b("abc");
        kv.insert("k", given);
        given[0] = 'X';
        byte[] read = kv.get("k");
        assertArrayEquals(b("abc"), read);
        read[1] = 'Y';
        assertArrayEquals(b("abc"), kv.get("k"));
    }

    @Test
    void keysAreExactTextBinaryValuesComeBackByteForByte() {
        KvStore kv = open().store("app");
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        List<String> keys = List.of("k", "K", "k ", "ключ", "🔑", "a/b", "a%2Fb", "");
        for (String key : keys) {
            assertTrue(kv.insert(key, b(key)), key);
        }
        kv.insert("binary", binary);
        for (String key : keys) {
            assertArrayEquals(b(key), kv.get(key), key);
        }
        assertArrayEquals(binary, kv.get("binary"));
    }

    @Test
    void deploymentsNeverSeeEachOthersKeysWhateverTheIdsLookLike() {
        open();
        List<String> ids = List.of("a", "A", "../a", "a/b", "a%2Fb", "a.db", "ünï cödé", ".");
        for (String id : ids) {
            stores.store(id).insert("k", b(id));
        }
        for (String id : ids) {
            assertArrayEquals(b(id), stores.store(id).get("k"), id);
        }
        assertEquals(ids.stream().sorted().toList(), stores.deployments());
        assertEquals(ids.stream().sorted().toList(), reopen().deployments(), "after a reopen");
    }

    @Test
    void rejectsAnEmptyDeploymentId() {
        open();
        assertThrows(IllegalArgumentException.class, () -> stores.store(""));
        assertThrows(IllegalArgumentException.class, () -> stores.permanentStore(""));
    }

    // --- the hostcalls, as guests see them (guests/ABI.md) ----------------------------------

    static final int KEY = 16;
    static final int VAL = 1024;

    /** A standalone guest memory whose call context reaches {@code kv}. */
    static final class Guest {
        final TestMemory mem = new TestMemory(1);
        final CallContext ctx;

        Guest(KvStore kv) {
            ctx = mem.builder().kv(kv).build();
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

        int upsert(String k, String v) {
            return KvHostcalls.kvstoreUpsert(ctx, KEY, key(k), VAL, value(v));
        }

        int append(String k, String v) {
            return KvHostcalls.kvstoreAppend(ctx, KEY, key(k), VAL, value(v));
        }

        int remove(String k) {
            return KvHostcalls.kvstoreRemove(ctx, KEY, key(k));
        }

        int insertTtl(String k, String v, long ttlMillis) {
            return KvHostcalls.kvstoreInsertTtl(ctx, KEY, key(k), VAL, value(v), ttlMillis);
        }
    }

    @Test
    void writingHostcallsReturnOneWhenTheKeyWasAbsentAndZeroOtherwise() {
        Guest g = new Guest(open().store("app"));
        assertEquals(1, g.insert("i", "1"));
        assertEquals(0, g.insert("i", "2"));
        assertEquals(1, g.upsert("u", "1"));
        assertEquals(0, g.upsert("u", "2"));
        assertEquals(1, g.append("a", "1"));
        assertEquals(0, g.append("a", "2"));
        assertEquals(1, g.remove("a"));
        assertEquals(0, g.remove("a"));
        assertEquals(0, g.remove("never"));
        assertArrayEquals(b("2"), stores.get("app", "i"));
        assertArrayEquals(b("1"), stores.get("app", "u"));
    }

    @Test
    void getHostcallWritesAMallocdCopyOrZeroZeroWithoutAllocating() {
        Guest g = new Guest(open().store("app"));
        g.insert("k", "hello");
        g.insert("e", "");
        int out = g.mem.outParams();
        assertEquals(1, KvHostcalls.kvstoreGet(g.ctx, out, out + 4, KEY, g.key("k")));
        assertEquals(5, g.mem.i32(out + 4));
        assertArrayEquals(b("hello"), g.mem.bytes(g.mem.i32(out), 5));
        assertEquals(1, KvHostcalls.kvstoreGet(g.ctx, out, out + 4, KEY, g.key("e")));
        assertNotEquals(0, g.mem.i32(out), "an empty value is a real allocation");
        assertEquals(0, g.mem.i32(out + 4));
        int allocations = g.mem.allocations.size();
        assertEquals(0, KvHostcalls.kvstoreGet(g.ctx, out, out + 4, KEY, g.key("missing")));
        assertEquals(List.of(0, 0), g.mem.pairOut(out));
        assertEquals(allocations, g.mem.allocations.size(), "nothing allocated for a miss");
    }

    @Test
    void insertTtlHostcallExpiresOnTheEngineClockAndRefusesNonPositiveTtls() {
        Guest g = new Guest(open().store("app"));
        assertEquals(1, g.insertTtl("t", "v", 1000));
        assertEquals(0, g.insertTtl("t", "v", 1000));
        clock.advance(Duration.ofMillis(999));
        assertEquals(0, g.upsert("t", "w"));
        clock.advance(Duration.ofMillis(1));
        int out = g.mem.outParams();
        assertEquals(0, KvHostcalls.kvstoreGet(g.ctx, out, out + 4, KEY, g.key("t")));
        assertEquals(1, g.upsert("t", "w"), "an expired key is absent");
        HostcallTrap trap = assertThrows(HostcallTrap.class, () -> g.insertTtl("z", "v", 0));
        assertEquals("ttl_millis must be greater than zero, got 0", trap.getMessage());
        assertNull(stores.get("app", "z"));
    }

    @Test
    void aBrokenLimitIsALimitTrapNamingTheLimitAndNothingIsWritten() {
        Guest g = new Guest(open(options().maxValueSize(4).build()).store("app"));
        HostcallTrap trap = assertThrows(HostcallTrap.class, () -> g.insert("big", "12345"));
        assertEquals(Outcome.Kind.LIMIT, trap.kind());
        assertEquals("KV value of 5 bytes exceeds kv.maxValueSize (4 bytes)", trap.getMessage());
        assertEquals(1, g.append("log", "1234"));
        trap = assertThrows(HostcallTrap.class, () -> g.append("log", "5"));
        assertEquals(Outcome.Kind.LIMIT, trap.kind());
        assertNull(stores.get("app", "big"));
        assertArrayEquals(b("1234"), stores.get("app", "log"));
    }

    // --- limits -------------------------------------------------------------------------------

    /** Keys up to 8 bytes, values up to 16, stores up to 40. */
    protected KvStore limited() {
        return open(options().maxKeySize(8).maxValueSize(16).maxStoreSize(40).build()).store("app");
    }

    @Test
    void aKeyOverMaxKeySizeIsRefusedNamingTheLimitAndSizes() {
        KvStore kv = limited();
        KvLimitException e =
                assertThrows(KvLimitException.class, () -> kv.insert("123456789", new byte[1]));
        assertEquals("KV key of 9 bytes exceeds kv.maxKeySize (8 bytes)", e.getMessage());
        // UTF-8 bytes count, not characters: 3 × 3 bytes
        assertThrows(KvLimitException.class, () -> kv.insert("€€€", new byte[1]));
        assertThrows(KvLimitException.class, () -> kv.upsert("€€€", new byte[1]));
        assertThrows(KvLimitException.class, () -> kv.append("€€€", new byte[1]));
        assertThrows(
                KvLimitException.class,
                () -> kv.insertWithTtl("€€€", new byte[1], Duration.ofSeconds(1)));
        assertTrue(kv.insert("12345678", new byte[1]), "exactly at the limit is allowed");
        assertNull(kv.get("123456789"), "a longer key cannot exist, so reading it finds nothing");
        assertFalse(kv.remove("123456789"));
        assertEquals(1, stores.stats("app").keys());
    }

    @Test
    void aValueOverMaxValueSizeIsRefusedAndTheOldValueStays() {
        KvStore kv = limited();
        kv.insert("k", b("old"));
        KvLimitException e =
                assertThrows(KvLimitException.class, () -> kv.insert("k", new byte[17]));
        assertEquals("KV value of 17 bytes exceeds kv.maxValueSize (16 bytes)", e.getMessage());
        e = assertThrows(KvLimitException.class, () -> kv.upsert("new", new byte[17]));
        assertEquals("KV value of 17 bytes exceeds kv.maxValueSize (16 bytes)", e.getMessage());
        assertThrows(KvLimitException.class, () -> kv.append("new", new byte[17]));
        assertArrayEquals(b("old"), kv.get("k"));
        assertNull(kv.get("new"));
        assertTrue(kv.insert("max", new byte[16]), "exactly at the limit is allowed");
    }

    @Test
    void anUpsertOfAPresentKeyChangesNothingWhateverTheValueSize() {
        KvStore kv = limited();
        kv.insert("k", b("old"));
        assertFalse(kv.upsert("k", new byte[17]), "nothing would be written, so no limit breaks");
        assertArrayEquals(b("old"), kv.get("k"));
    }

    @Test
    void anAppendThatWouldGrowPastMaxValueSizeChangesNothing() {
        KvStore kv = limited();
        kv.insert("k", new byte[10]);
        KvLimitException e =
                assertThrows(KvLimitException.class, () -> kv.append("k", new byte[7]));
        assertEquals(
                "KV value would grow to 17 bytes by this append, over kv.maxValueSize (16 bytes)",
                e.getMessage());
        assertEquals(10, kv.get("k").length);
        assertEquals(11, stores.stats("app").bytes());
        assertFalse(kv.append("k", new byte[6]), "exactly at the limit is allowed");
        assertEquals(16, kv.get("k").length);
    }

    @Test
    void theStoreRefusesWritesPastMaxStoreSizeAndStaysConsistent() {
        KvStore kv = limited();
        kv.insert("a", new byte[16]); // 17
        kv.insert("b", new byte[16]); // 34
        KvLimitException e =
                assertThrows(KvLimitException.class, () -> kv.insert("c", new byte[6]));
        assertEquals(
                "KV store of deployment 'app' would hold 41 bytes, over kv.maxStoreSize (40 bytes)",
                e.getMessage());
        assertNull(kv.get("c"));
        assertEquals(34, stores.stats("app").bytes());
        assertTrue(kv.insert("c", new byte[5]), "exactly at the limit is allowed");
        kv.insert("a", new byte[1]); // overwriting frees space
        assertEquals(25, stores.stats("app").bytes());
        assertEquals(3, stores.stats("app").keys());
        kv.remove("b");
        assertEquals(8, stores.stats("app").bytes());
        assertEquals(8, reopen().stats("app").bytes(), "the accounting survives a reopen");
    }

    @Test
    void aWriteThatWouldBreakMaxStoreSizePurgesExpiredKeysFirst() {
        KvStore kv = limited();
        kv.insertWithTtl("a", new byte[16], Duration.ofSeconds(1));
        kv.insert("b", new byte[16]);
        clock.advance(Duration.ofSeconds(1));
        assertTrue(kv.insert("c", new byte[16]));
        assertEquals(34, stores.stats("app").bytes());
        assertEquals(1, stores.stats("app").purgedKeys());
    }

    // --- time to live ---------------------------------------------------------------------------

    @Test
    void expiredKeysAreNeverReturnedAndArePurged() {
        KvStore kv = open().store("app");
        assertTrue(kv.insertWithTtl("t", b("v"), Duration.ofSeconds(10)));
        kv.insert("forever", b("f"));
        clock.advance(Duration.ofSeconds(9));
        assertArrayEquals(b("v"), kv.get("t"));
        clock.advance(Duration.ofSeconds(1));
        assertNull(kv.get("t"), "expired exactly at its TTL");
        assertEquals(List.of("forever"), stores.keys("app", 10));
        assertEquals(2, stores.stats("app").keys(), "still held until purged");

        KvStores.ExpiryRun run = stores.runExpiry();
        assertEquals(1, run.purgedKeys());
        assertEquals(1, stores.stats("app").keys());
        assertEquals(8, stores.stats("app").bytes());
        assertArrayEquals(b("f"), kv.get("forever"));
    }

    @Test
    void aTtlIsRoundedUpToWholeMillisecondsAndAHugeOneNeverOverflows() {
        KvStore kv = open().store("app");
        kv.insertWithTtl("ns", b("v"), Duration.ofNanos(1));
        kv.insertWithTtl("huge", b("v"), Duration.ofSeconds(Long.MAX_VALUE));
        assertArrayEquals(b("v"), kv.get("ns"), "a 1ns TTL lasts one millisecond");
        clock.advance(Duration.ofMillis(1));
        assertNull(kv.get("ns"));
        clock.advance(Duration.ofDays(365 * 100));
        assertArrayEquals(b("v"), kv.get("huge"));
        assertThrows(
                IllegalArgumentException.class,
                () -> kv.insertWithTtl("zero", b("v"), Duration.ZERO));
    }

    @Test
    void anExpiredKeyCountsAsAbsentForEveryWrite() {
        KvStore kv = open().store("app");
        Duration ttl = Duration.ofMillis(1);
        kv.insertWithTtl("i", b("x"), ttl);
        kv.insertWithTtl("u", b("x"), ttl);
        kv.insertWithTtl("a", b("x"), ttl);
        kv.insertWithTtl("r", b("x"), ttl);
        clock.advance(ttl);
        assertTrue(kv.insert("i", b("new")));
        assertTrue(kv.upsert("u", b("new")));
        assertTrue(kv.append("a", b("new")));
        assertFalse(kv.remove("r"));
        assertArrayEquals(b("new"), kv.get("a"));
        clock.advance(Duration.ofDays(1));
        assertArrayEquals(b("new"), kv.get("i"), "a plain insert drops the old TTL");
        assertArrayEquals(b("new"), kv.get("u"), "so does an upsert that writes");
        assertArrayEquals(b("new"), kv.get("a"), "an append to an expired key starts fresh");
        assertEquals(0, stores.runExpiry().purgedKeys());
    }

    @Test
    void appendKeepsTheTimeToLive() {
        KvStore kv = open().store("app");
        kv.insertWithTtl("k", b("a"), Duration.ofSeconds(5));
        kv.append("k", b("b"));
        assertArrayEquals(b("ab"), kv.get("k"));
        clock.advance(Duration.ofSeconds(5));
        assertNull(kv.get("k"));
    }

    @Test
    void aTimeToLiveSurvivesAReopen() {
        open().store("app").insertWithTtl("t", b("v"), Duration.ofSeconds(10));
        KvStore kv = reopen().store("app");
        assertArrayEquals(b("v"), kv.get("t"));
        clock.advance(Duration.ofSeconds(10));
        assertNull(kv.get("t"));
        assertEquals(1, stores.runExpiry().purgedKeys());
    }

    // --- the store's lifetime, tied to its deployment ------------------------------------------

    @Test
    void expiryDeletesStoresWhoseLifetimeEndedAndTellsListeners() {
        open();
        List<String> told = new CopyOnWriteArrayList<>();
        stores.onExpired(told::add);
        KvStore upload = stores.create("upload", Duration.ofMinutes(5));
        upload.insert("k", b("v"));
        stores.store("static").insert("k", b("v"));
        assertNotNull(stores.stats("upload").expiresAt());
        assertNull(stores.stats("static").expiresAt());

        clock.advance(Duration.ofMinutes(4));
        assertEquals(List.of(), stores.runExpiry().deletedStores());
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of("upload"), stores.runExpiry().deletedStores());

        assertEquals(List.of("upload"), told);
        assertEquals(List.of("static"), stores.deployments());
        KvUnavailableException e =
                assertThrows(KvUnavailableException.class, () -> upload.get("k"));
        assertTrue(e.getMessage().contains("lifetime ended"), e.getMessage());
        assertNull(registry.find("vivarium.kv.keys").tag("deployment", "upload").gauge());
        assertNull(stores.store("upload").get("k"), "a later deployment starts empty");
    }

    @Test
    void expireAfterResetsTheLifetimeFromNow() {
        open();
        stores.create("upload", Duration.ofMinutes(5)).insert("k", b("v"));
        clock.advance(Duration.ofMinutes(4));
        stores.expireAfter("upload", Duration.ofMinutes(5));
        clock.advance(Duration.ofMinutes(4));
        assertEquals(List.of(), stores.runExpiry().deletedStores());
        assertArrayEquals(b("v"), stores.get("upload", "k"));
        clock.advance(Duration.ofMinutes(1));
        assertEquals(List.of("upload"), stores.runExpiry().deletedStores());
        assertThrows(
                IllegalArgumentException.class,
                () -> stores.expireAfter("nothing", Duration.ofMinutes(1)));
    }

    @Test
    void aLifetimeSurvivesAReopenAndIsEnforcedForStoresNotOpenedAgain() {
        open().create("upload", Duration.ofMinutes(5)).insert("k", b("v"));
        reopen();
        assertEquals(List.of("upload"), stores.deployments());
        assertNotNull(stores.stats("upload").expiresAt());
        reopen();
        clock.advance(Duration.ofMinutes(5));
        assertEquals(List.of("upload"), stores.runExpiry().deletedStores());
        assertEquals(List.of(), stores.deployments());
    }

    @Test
    void aStoreWhoseLifetimeEndedWhileClosedStartsEmptyWhenOpened() {
        open().create("upload", Duration.ofMinutes(5)).insert("k", b("v"));
        stores.close();
        clock.advance(Duration.ofMinutes(5));
        open();
        assertNull(stores.store("upload").get("k"));
        assertNull(stores.stats("upload").expiresAt(), "the new store lives until deleted");
    }

    @Test
    void aConfiguredDeploymentDropsTheLifetimeItsUploadedPredecessorLeft() {
        open().create("app", Duration.ofMinutes(5)).insert("k", b("v"));
        KvStore kv = reopen().permanentStore("app");
        assertNull(stores.stats("app").expiresAt());
        clock.advance(Duration.ofDays(1));
        assertEquals(List.of(), reopen().runExpiry().deletedStores());
        assertArrayEquals(b("v"), stores.get("app", "k"));
        assertNotNull(kv);
    }

    @Test
    void aStoreDeletedWithItsDeploymentFailsOperationsStillRunningOnIt() {
        open();
        KvStore kv = stores.store("gone");
        kv.insert("k", b("v"));
        assertTrue(stores.deleteWithDeployment("gone"));
        KvUnavailableException e = assertThrows(KvUnavailableException.class, () -> kv.get("k"));
        assertTrue(e.getMessage().contains("deleted with its deployment"), e.getMessage());
        assertEquals(List.of(), stores.deployments());
        assertNull(stores.store("gone").get("k"), "a later deployment of the id starts empty");
        assertFalse(stores.deleteWithDeployment("never"));
    }

    @Test
    void theExpiryThreadRunsEveryPurgeInterval() throws InterruptedException {
        open(options().purgeInterval(Duration.ofMillis(20)).build());
        List<String> told = new CopyOnWriteArrayList<>();
        stores.onExpired(told::add);
        stores.create("upload", Duration.ofMinutes(5)).insert("k", b("v"));
        stores.store("app").insertWithTtl("t", b("v"), Duration.ofSeconds(1));
        clock.advance(Duration.ofMinutes(5));
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((told.isEmpty() || stores.stats("app").keys() > 0) && System.nanoTime() < giveUp) {
            Thread.sleep(10);
        }
        assertEquals(List.of("upload"), told);
        assertEquals(1, stores.stats("app").purgedKeys());
    }

    // --- operators -----------------------------------------------------------------------------

    @Test
    void operatorsListGetClearAndDelete() {
        open();
        KvStore kv = stores.store("app");
        kv.insert("b", b("2"));
        kv.insert("a", b("1"));
        assertEquals(List.of("a", "b"), stores.keys("app", 10));
        assertEquals(1, stores.keys("app", 1).size());
        assertArrayEquals(b("1"), stores.get("app", "a"));

        stores.clear("app");
        assertEquals(List.of(), stores.keys("app", 10));
        assertEquals(0, stores.stats("app").bytes());

        kv.insert("c", b("3"));
        assertTrue(stores.delete("app"));
        assertEquals(List.of(), stores.deployments());
        assertNull(kv.get("c"), "the deployment goes on with a new, empty store");
        assertTrue(kv.insert("c", b("3")));
        assertFalse(stores.delete("nothing"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> stores.stats("nothing"));
        assertTrue(e.getMessage().contains("no KV store for deployment 'nothing'"));
        assertThrows(IllegalArgumentException.class, () -> stores.keys("app", -1));
    }

    @Test
    void countsOperationsAsMetersTaggedWithTheDeployment() {
        open();
        KvStore kv = stores.store("app");
        kv.insert("k", b("v"));
        kv.get("k");
        kv.get("missing");
        kv.append("k", b("w"));
        kv.upsert("k", b("x"));
        kv.remove("none");
        KvStats s = stores.stats("app");
        assertEquals("app", s.deployment());
        assertEquals(2, s.gets());
        assertEquals(1, s.hits());
        assertEquals(1, s.misses());
        assertEquals(1, s.inserts());
        assertEquals(1, s.upserts());
        assertEquals(1, s.appends());
        assertEquals(1, s.removes());
        assertEquals(1, s.keys());
        assertEquals(3, s.bytes());
        String tooLong = "k".repeat(stores.options().maxKeySize() + 1);
        assertThrows(KvLimitException.class, () -> kv.insert(tooLong, b("v")));
        // insert k: absent; get k: there; get missing; append k, upsert k: there; remove none
        Map<String, Double> expected = new java.util.TreeMap<>();
        for (String op : List.of("get", "insert", "upsert", "append", "remove")) {
            for (String result : List.of("hit", "miss", "error")) {
                expected.put(op + "/" + result, 0.0);
            }
        }
        expected.putAll(
                Map.of(
                        "insert/miss", 1.0,
                        "insert/error", 1.0,
                        "get/hit", 1.0,
                        "get/miss", 1.0,
                        "append/hit", 1.0,
                        "upsert/hit", 1.0,
                        "remove/miss", 1.0));
        Map<String, Double> counted = new java.util.TreeMap<>();
        registry.find("vivarium.kv.operations")
                .tag("deployment", "app")
                .functionCounters()
                .forEach(
                        c ->
                                counted.put(
                                        c.getId().getTag("op") + "/" + c.getId().getTag("result"),
                                        c.count()));
        assertEquals(expected, counted);
        assertEquals(2, stores.stats("app").inserts(), "stats count the refused insert too");
        assertEquals(
                3.0, registry.get("vivarium.kv.size").tag("deployment", "app").gauge().value());
        assertEquals(
                1.0, registry.get("vivarium.kv.keys").tag("deployment", "app").gauge().value());
        assertNotNull(registry.find("vivarium.kv.commits").tag("deployment", "app").meter());
        assertNotNull(registry.find("vivarium.kv.keys.purged").tag("deployment", "app").meter());
        assertEquals(1.0, registry.get("vivarium.kv.stores").gauge().value());
    }

    @Test
    void aBackendInUseReportsItselfReachableAndNamesItself() {
        open().store("app").insert("k", b("v"));
        KvHealth h = stores.health();
        assertTrue(h.reachable(), h.detail());
        assertEquals(stores.options().backend(), stores.backendName());
    }

    // --- concurrent writers ----------------------------------------------------------------------

    /**
     * Runs {@code task} on {@link #THREADS} threads at once (after a barrier) and waits for all.
     */
    public static void race(int perThread, ThrowingTask task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                done.add(
                        pool.submit(
                                () -> {
                                    start.await(30, TimeUnit.SECONDS);
                                    for (int i = 0; i < perThread; i++) {
                                        task.run(thread, i);
                                    }
                                    return null;
                                }));
            }
            for (Future<?> f : done) {
                f.get(90, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    public interface ThrowingTask {
        void run(int thread, int i) throws Exception;
    }

    @Test
    void concurrentAppendsAreAtomicAndNoneIsLost() throws Exception {
        KvStore kv = open().store("app");
        AtomicInteger firsts = new AtomicInteger();
        race(
                25,
                (t, i) -> {
                    if (kv.append("log", new byte[] {(byte) t})) {
                        firsts.incrementAndGet();
                    }
                });
        byte[] log = kv.get("log");
        assertEquals(THREADS * 25, log.length);
        int[] perThread = new int[THREADS];
        for (byte x : log) {
            perThread[x]++;
        }
        for (int t = 0; t < THREADS; t++) {
            assertEquals(25, perThread[t], "appends of thread " + t);
        }
        assertEquals(1, firsts.get(), "exactly one append found the key absent");
        assertEquals(THREADS * 25, reopen().get("app", "log").length, "all of them durable");
    }

    @Test
    void exactlyOneConcurrentUpsertWins() throws Exception {
        KvStore kv = open().store("app");
        List<Integer> winners = new CopyOnWriteArrayList<>();
        race(
                1,
                (t, i) -> {
                    if (kv.upsert("slot", new byte[] {(byte) t})) {
                        winners.add(t);
                    }
                });
        assertEquals(1, winners.size(), "winners: " + winners);
        assertEquals(winners.get(0).byteValue(), kv.get("slot")[0], "the winner's value stays");
    }

    @Test
    void concurrentInsertsAndRemovesKeepExactCounts() throws Exception {
        KvStore kv = open().store("app");
        AtomicInteger absent = new AtomicInteger();
        AtomicInteger removed = new AtomicInteger();
        race(
                20,
                (t, i) -> {
                    if (kv.insert("k" + i, new byte[] {(byte) t})) {
                        absent.incrementAndGet();
                    }
                    if (i % 2 == 0 && kv.remove("k" + i)) {
                        removed.incrementAndGet();
                    }
                });
        List<String> keys = stores.keys("app", 100);
        long live = keys.size();
        // per key: absent-finding inserts minus successful removes is 1 if it is live, else 0
        assertEquals(live, absent.get() - removed.get());
        assertTrue(live >= 10, "keys with an odd i are never removed");
        assertEquals(live, stores.stats("app").keys());
        long bytes = keys.stream().mapToLong(k -> k.length() + 1).sum();
        assertEquals(bytes, stores.stats("app").bytes(), "keys and their 1-byte values");
        assertEquals(live, reopen().stats("app").keys());
    }

    // --- durability ------------------------------------------------------------------------------

    @Test
    void storesSurviveAReopenWithTheSameData() {
        KvStore kv = open().store("app");
        kv.insert("k", b("v"));
        kv.append("log", b("a"));
        kv.append("log", b("b"));
        kv.upsert("u", b("u"));
        kv.insert("gone", b("x"));
        kv.remove("gone");
        KvStore reopened = reopen().store("app");
        assertArrayEquals(b("v"), reopened.get("k"));
        assertArrayEquals(b("ab"), reopened.get("log"));
        assertArrayEquals(b("u"), reopened.get("u"));
        assertNull(reopened.get("gone"));
        assertEquals(3, stores.stats("app").keys());
        assertEquals(2 + 5 + 2, stores.stats("app").bytes());
        assertFalse(reopened.insert("k", b("w")), "the key is still there for writes too");
    }

    @Test
    void everyAcknowledgedConcurrentWriteSurvivesAReopen() throws Exception {
        KvStore kv = open().store("app");
        race(20, (t, i) -> kv.insert("t" + t + "-" + i, b(t + ":" + i)));
        KvStores again = reopen();
        assertEquals(THREADS * 20, again.stats("app").keys());
        for (int t = 0; t < THREADS; t++) {
            for (int i = 0; i < 20; i++) {
                assertArrayEquals(b(t + ":" + i), again.get("app", "t" + t + "-" + i));
            }
        }
    }
}
