package dev.vivarium.core.kv.memory;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.kv.KvBackendContract;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.kv.KvUnavailableException;
import dev.vivarium.core.kv.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the neutral layer does over a shared backend that can be unreachable (the situation of
 * several nodes on one database): a write through one engine is read through the other, concurrent
 * writers of two engines keep exact counts, and an unreachable backend is a {@link
 * KvUnavailableException} (503), then recovery with nothing acknowledged lost.
 */
@Timeout(60)
class SharedBackendTest {
    final String name = "shared-" + UUID.randomUUID();
    final MutableClock clock = new MutableClock();
    final KvStores a = open();
    final KvStores b = open();

    KvStores open() {
        return KvStores.open(
                KvOptions.builder(Path.of("unused"))
                        .backend(MemoryKvBackend.NAME)
                        .backendSetting(MemoryKvBackend.SPACE, name)
                        .build(),
                clock,
                new SimpleMeterRegistry());
    }

    @AfterEach
    void close() {
        MemoryKvBackend.space(name).reachable(true);
        a.close();
        b.close();
    }

    static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void aValueWrittenThroughOneEngineIsReadThroughTheOther() {
        assertTrue(a.store("app").insert("k", bytes("from a")));
        assertArrayEquals(bytes("from a"), b.store("app").get("k"));
        assertFalse(b.store("app").upsert("k", bytes("from b")), "b sees the key present");
        assertEquals(java.util.List.of("app"), b.deployments());
    }

    @Test
    void concurrentAppendsThroughTwoEnginesAreAllKept() throws Exception {
        KvStore ka = a.store("app");
        KvStore kb = b.store("app");
        KvBackendContract.race(
                20, (t, i) -> (t % 2 == 0 ? ka : kb).append("log", new byte[] {(byte) t}));
        assertEquals(KvBackendContract.THREADS * 20, ka.get("log").length);
    }

    @Test
    void anUnreachableBackendFailsOperationsAsUnavailableThenRecovers() {
        KvStore kv = a.store("app");
        kv.insert("acked", bytes("v"));
        MemoryKvBackend.space(name).reachable(false);
        assertFalse(a.health().reachable());
        KvUnavailableException e =
                assertThrows(KvUnavailableException.class, () -> kv.insert("k", bytes("v")));
        assertEquals("the KV backend 'memory' cannot be reached", e.getMessage());
        assertEquals(
                "the deployment's KV store is unavailable (the server log has the details)",
                e.clientMessage(),
                "a client is not told the backend's internals");
        assertThrows(KvUnavailableException.class, () -> kv.get("acked"));
        assertThrows(KvUnavailableException.class, () -> a.store("other"));
        MemoryKvBackend.space(name).reachable(true);
        assertTrue(a.health().reachable());
        assertArrayEquals(bytes("v"), kv.get("acked"), "the acknowledged write is there");
        assertNull(kv.get("k"), "the refused one is not");
        assertTrue(kv.insert("k", bytes("v")), "the same handle works again");
    }

    @Test
    void theBackendsOwnSettingsArePassedAndAMissingOneNamesIt() {
        VivariumOptions o =
                VivariumOptions.parse(
                        Map.of("kv.backend", "memory", MemoryKvBackend.SPACE, name),
                        Path.of("guests"),
                        Path.of("kv"));
        assertEquals("memory", o.kv().backend());
        assertEquals(Map.of(MemoryKvBackend.SPACE, name), o.kv().backendSettings());
        KvOptions missing = KvOptions.builder(Path.of("kv")).backend("memory").build();
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> KvStores.open(missing, clock, new SimpleMeterRegistry()));
        assertEquals(
                "Vivarium setting 'kv.memory.space' is required with kv.backend=memory",
                e.getMessage());
    }
}
