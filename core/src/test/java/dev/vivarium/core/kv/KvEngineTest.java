package dev.vivarium.core.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The KV hostcalls end to end: real guests through the engine, real MapDB files. */
@Timeout(120)
class KvEngineTest {
    @TempDir Path kvDir;

    Vivarium start(KvOptions kv, String... routes) {
        VivariumOptions.Builder b =
                VivariumOptions.builder().guestDirectory(TestGuests.root()).poolSize(1).kv(kv);
        for (String r : routes) {
            b.route(r);
        }
        return Vivarium.builder(b.build()).start();
    }

    Vivarium start(String... routes) {
        return start(KvOptions.defaults(kvDir), routes);
    }

    static Outcome get(Vivarium v, String path) {
        return v.handle(
                v.route("localhost", path),
                new GuestRequest("GET", path, "localhost", new Headers(), null, "127.0.0.1"));
    }

    static String body(Outcome o) {
        assertEquals(Outcome.Kind.OK, o.kind(), () -> "outcome " + o);
        return new String(o.body(), UTF_8);
    }

    static void assumeBuilt(String wasm) {
        assumeTrue(
                Files.exists(TestGuests.dist().resolve(wasm)),
                "guests/dist/" + wasm + " is not built (guests/build.sh)");
    }

    @Test
    void fixture_kv() {
        assumeBuilt("fixture_kv.wasm");
        try (Vivarium v = start("/kv -> dist/fixture_kv.wasm")) {
            for (int run = 0; run < 2; run++) {
                Outcome o = get(v, "/kv");
                assertEquals(200, o.status(), () -> "outcome " + o);
                assertEquals("ok", body(o));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"wat/fixtures/kv_counter.wat", "dist/kv_counter.wasm"})
    void kvCounterCountsAcrossRequestsAndRestarts(String guest) {
        if (guest.endsWith(".wasm")) {
            assumeBuilt("kv_counter.wasm");
        }
        String route = "/count -> " + guest;
        try (Vivarium v = start(route)) {
            assertEquals("1\n", body(get(v, "/count")));
            assertEquals("2\n", body(get(v, "/count")));
        }
        try (Vivarium v = start(route)) {
            assertEquals("3\n", body(get(v, "/count")));
            assertEquals(
                    "3", new String(v.kvStores().get("kv_counter", "kv_counter:count"), UTF_8));
        }
    }

    @Test
    void eachDeploymentCountsInItsOwnStore() {
        try (Vivarium v =
                start(
                        "/a -> wat/fixtures/kv_counter.wat; id=a",
                        "/b -> wat/fixtures/kv_counter.wat; id=b")) {
            assertEquals("1\n", body(get(v, "/a")));
            assertEquals("2\n", body(get(v, "/a")));
            assertEquals("1\n", body(get(v, "/b")));
            assertEquals(List.of("a", "b"), v.kvStores().deployments());
        }
    }

    @Test
    void startFailsClearlyWhenAStoreIsInUseElsewhere() {
        try (KvStores other =
                KvStores.open(
                        KvOptions.defaults(kvDir),
                        java.time.Clock.systemUTC(),
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            other.store("kv_counter");
            ConfigurationException e =
                    assertThrows(
                            ConfigurationException.class,
                            () -> start("/count -> wat/fixtures/kv_counter.wat"));
            assertTrue(
                    e.getMessage().startsWith("Vivarium setting 'kv.directory'"), e.getMessage());
            assertTrue(e.getMessage().contains("'kv_counter'"), e.getMessage());
        }
        // nothing was left locked: the next start works
        try (Vivarium v = start("/count -> wat/fixtures/kv_counter.wat")) {
            assertEquals("1\n", body(get(v, "/count")));
        }
    }

    @Test
    void deploymentsWhoseGuestsDoNotUseKvGetNoStoreAndNoFiles() {
        Path dir = kvDir.resolve("kv");
        try (Vivarium v =
                start(
                        KvOptions.defaults(dir),
                        "/hello -> wat/fixtures/hello_raw.wat",
                        "/count -> wat/fixtures/kv_counter.wat")) {
            assertEquals("1\n", body(get(v, "/count")));
            assertEquals(200, get(v, "/hello").status());
            assertEquals(List.of("kv_counter"), v.kvStores().deployments());
        }
        try (Vivarium v = start(KvOptions.defaults(dir), "/hello -> wat/fixtures/hello_raw.wat")) {
            assertEquals(200, get(v, "/hello").status());
        }
        Path other = kvDir.resolve("unused");
        try (Vivarium v =
                start(KvOptions.defaults(other), "/hello -> wat/fixtures/hello_raw.wat")) {
            assertEquals(200, get(v, "/hello").status());
        }
        assertTrue(Files.notExists(other), "no KV directory for an engine without KV users");
    }

    @Test
    void getOfAMissingKeyWritesZeroZeroAndAnEmptyValueIsARealAllocation() {
        try (Vivarium v =
                start(
                        "/missing -> wat/fixtures/kv_get_missing.wat",
                        "/empty -> wat/fixtures/kv_empty_value.wat")) {
            assertEquals("ok", body(get(v, "/missing")));
            assertEquals("ok", body(get(v, "/empty")));
        }
    }

    @Test
    void anOutOfBoundsKeyPointerTrapsAndWritesNothing() {
        try (Vivarium v = start("/bad -> wat/fixtures/kv_bad_key_pointer.wat")) {
            Outcome o = get(v, "/bad");
            assertEquals(Outcome.Kind.TRAP, o.kind());
            assertEquals(500, o.status());
            assertTrue(
                    o.message()
                            .contains(
                                    "hostcall_kvstore_insert: KV key at 0xfffff000 (16 bytes) is"
                                            + " outside guest memory"),
                    o.message());
            assertEquals(List.of(), v.kvStores().keys("kv_bad_key_pointer", 10));
        }
    }

    @Test
    void aFoundValueForAGuestThatNeverCalledInitMmIsPlacedInPagesTheHostAdds() {
        try (Vivarium v = start("/no -> wat/fixtures/kv_no_init_mm.wat")) {
            Outcome o = get(v, "/no");
            assertEquals(200, o.status(), o.toString());
            assertEquals("v", new String(o.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void aValueOverMaxValueSizeIsA500NamingTheLimitAndNothingIsStored() {
        KvOptions kv = KvOptions.builder(kvDir).maxValueSize(1024).build();
        try (Vivarium v = start(kv, "/big -> wat/fixtures/kv_big_value.wat")) {
            Outcome o = get(v, "/big");
            assertEquals(Outcome.Kind.LIMIT, o.kind());
            assertEquals(500, o.status());
            assertTrue(
                    o.message()
                            .contains(
                                    "KV value of 4096 bytes exceeds kv.maxValueSize (1024 bytes)"),
                    o.message());
            assertEquals(List.of(), v.kvStores().keys("kv_big_value", 10));
        }
    }

    @Test
    void aStoreThatFailsGivesTheClientA503WithoutTheServersPaths() {
        String route = "/c -> wat/fixtures/kv_counter.wat; id=counter";
        try (Vivarium a = start(route)) {
            assertEquals("1\n", body(get(a, "/c")));
            a.kvStores().delete("counter");
            // another engine on the same directory takes the store while a is not looking
            try (Vivarium b = start(route)) {
                Outcome o = get(a, "/c");
                assertEquals(503, o.status(), o::toString);
                assertEquals(
                        "the deployment's KV store is unavailable (the server log has the details)",
                        o.message());
                assertEquals("1\n", body(get(b, "/c")));
            }
            assertEquals("2\n", body(get(a, "/c")), "usable again once the other engine is gone");
        }
    }
}
