package dev.vivarium.core.engine;

import static dev.vivarium.core.testing.TestEngine.body;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.testing.TestEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class InstancePoolTest {
    @Test
    void everyRequestSeesFreshGlobalsAndMemory() throws Exception {
        try (TestEngine t = TestEngine.wat("/iso -> isolation.wat")) {
            for (int i = 0; i < 50; i++) {
                assertEquals("global=1 memory=1", body(t.get("/iso")));
            }
            InstancePool pool = t.engine.pools().get(0);
            assertTrue(pool.reused() >= 48, pool.toString());
            assertEquals(2, pool.created(), "warmed instances are reused, not rebuilt: " + pool);
        }
    }

    @Test
    void concurrentRequestsEachSeeFreshState() throws Exception {
        try (TestEngine t = TestEngine.wat("/iso -> isolation.wat")) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<String>> results = new ArrayList<>();
                Callable<String> call = () -> body(t.get("/iso"));
                for (int i = 0; i < 400; i++) {
                    results.add(pool.submit(call));
                }
                for (Future<String> f : results) {
                    assertEquals("global=1 memory=1", f.get());
                }
            } finally {
                pool.shutdownNow();
            }
            InstancePool p = t.engine.pools().get(0);
            assertTrue(p.idle() <= p.maxIdle(), "idle instances stay bounded: " + p);
        }
    }

    @Test
    void trappedAndTimedOutInstancesAreDiscarded() {
        try (TestEngine t =
                TestEngine.wat(
                        "/div -> trap_div.wat", "/loop -> loop_forever.wat; deadline=200ms")) {
            t.get("/div");
            t.get("/loop");
            for (InstancePool p : t.engine.pools()) {
                assertEquals(1, p.discarded(), p.toString());
            }
        }
    }

    @Test
    void grownMemoryIsShrunkAndReused() {
        try (TestEngine t =
                TestEngine.start(
                        dev.vivarium.core.testing.TestGuests.watFixtures(),
                        b -> b.maxMemoryPages(2000),
                        "/grow -> grow_memory.wat")) {
            for (int i = 0; i < 5; i++) {
                // a fresh instance has 1 page and can grow by 1000: it must, every time
                assertEquals("grow=ok", body(t.get("/grow")));
            }
            InstancePool p = t.engine.pools().get(0);
            assertEquals(0, p.discarded(), p.toString());
            assertEquals(2, p.created(), p.toString());
        }
    }

    @Test
    void modulesThatCannotBeResetGetANewInstancePerRequest() {
        try (TestEngine t = TestEngine.wat("/t -> table_set.wat")) {
            for (int i = 0; i < 5; i++) {
                assertEquals("1", body(t.get("/t")), "table[0] as at instantiation");
            }
            InstancePool p = t.engine.pools().get(0);
            assertEquals(0, p.maxIdle());
            assertEquals(5, p.created());
        }
    }
}
