package dev.vivarium.core.deploy;

import static dev.vivarium.core.deploy.DeploymentTesting.get;
import static dev.vivarium.core.deploy.DeploymentTesting.module;
import static dev.vivarium.core.deploy.DeploymentTesting.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.engine.GuestModule;
import dev.vivarium.core.engine.InstancePool;
import dev.vivarium.core.engine.ModuleCache;
import dev.vivarium.core.engine.Route;
import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many uploaded deployments on one engine (issue 17, scale): a module uploaded twice is compiled
 * once and shared, and released when neither uses it; an uploaded deployment's pool is empty until
 * a request comes, and empty again once idle, while every request still gets fresh state.
 */
@Timeout(120)
class ScaleDeploymentsTest {
    @TempDir Path kvDir;
    @TempDir Path deployDir;

    private Vivarium start(Duration idle, int max) {
        return Vivarium.builder(
                        VivariumOptions.builder()
                                .guestDirectory(TestGuests.root())
                                .poolSize(2)
                                .poolIdleTimeout(idle)
                                .kv(KvOptions.defaults(kvDir))
                                .uploads(
                                        UploadOptions.builder(deployDir)
                                                .max(max)
                                                .adminToken("scale-test-token")
                                                .domain("apps.test")
                                                .build())
                                .build())
                .start();
    }

    private static Route route(Vivarium v, String id) {
        return v.deployments().routes().stream()
                .filter(r -> r.deployment().id().equals(id))
                .findFirst()
                .orElseThrow();
    }

    private static DeploymentInfo deploy(Vivarium v, String id, byte[] module) {
        return v.uploads().deploy(id, "/" + id + "/*", null, null, List.of(), module);
    }

    @Test
    void deploymentsWithTheSameBytesShareOneCompiledModule() throws Exception {
        byte[] hello = module("wat/fixtures/hello_raw.wat");
        byte[] iso = module("wat/fixtures/isolation.wat");
        try (Vivarium v = start(Duration.ofMinutes(5), 16)) {
            ModuleCache modules = v.uploads().modules();
            deploy(v, "a", hello);
            deploy(v, "b", hello);
            deploy(v, "c", iso);
            GuestModule a = route(v, "a").pool().guest();
            GuestModule b = route(v, "b").pool().guest();
            assertSame(a.machineFactory(), b.machineFactory(), "one compiled module for both");
            assertSame(a.module(), b.module());
            assertEquals("a.wat", a.name(), "each keeps its own name for messages");
            assertEquals("b.wat", b.name());
            assertNotSame(route(v, "a").pool(), route(v, "b").pool(), "but a pool each");
            assertNotSame(a.machineFactory(), route(v, "c").pool().guest().machineFactory());
            assertEquals(2, modules.size(), modules.toString());
            assertEquals(1, modules.hits(), modules.toString());

            assertTrue(v.uploads().remove("a"));
            Outcome o = get(v, "b.apps.test", "/");
            assertEquals(200, o.status(), o.message());
            assertEquals(200, get(v, "x", "/b/hello").status(), "b runs without a");

            // the same bytes again while b holds the module: shared again, not compiled
            deploy(v, "a", hello);
            assertSame(b.machineFactory(), route(v, "a").pool().guest().machineFactory());
            assertEquals(2, modules.hits(), modules.toString());

            assertTrue(v.uploads().remove("a"));
            assertTrue(v.uploads().remove("b"));
            b = null;
            a = null;
            // nobody uses hello_raw's module now: the collector takes it, and its entry goes
            for (int i = 0; i < 200 && modules.size() > 1; i++) {
                System.gc();
                Thread.sleep(50);
            }
            assertEquals(1, modules.size(), "only the isolation guest's module is left");
            assertEquals(200, get(v, "c.apps.test", "/").status());

            // uploaded again after it was released: compiled anew, and it works
            long misses = modules.misses();
            deploy(v, "b", hello);
            assertEquals(misses + 1, modules.misses(), modules.toString());
            assertEquals(200, get(v, "b.apps.test", "/").status());
        }
    }

    @Test
    void anUploadedPoolStartsEmptyAndShrinksToZeroWhenIdle() throws Exception {
        byte[] iso = module("wat/fixtures/isolation.wat");
        try (Vivarium v = start(Duration.ofMillis(200), 16)) {
            deploy(v, "iso", iso);
            InstancePool pool = route(v, "iso").pool();
            assertEquals(0, pool.idle(), "no instance before a request: " + pool);
            assertEquals(0, pool.created(), pool.toString());
            assertEquals(0, v.memoryUsed(), "no guest memory held by an idle upload");

            for (int i = 0; i < 3; i++) {
                Outcome o = get(v, "iso.apps.test", "/");
                assertEquals("global=1 memory=1", text(o), "fresh state on request " + i);
            }
            assertEquals(1, pool.created(), "one instance, reused: " + pool);
            assertEquals(1, pool.idle(), pool.toString());

            // nobody calls it: the pool drops its instance and gives its memory back
            DeploymentTesting.await(() -> pool.idle() == 0);
            assertEquals(0, v.memoryUsed());
            Outcome o = get(v, "iso.apps.test", "/");
            assertEquals("global=1 memory=1", text(o), "a fresh instance after the pool emptied");
            assertEquals(2, pool.created(), pool.toString());
        }
    }

    @Test
    void aThousandUploadsRouteByHostAndPathAndGoAway() {
        try (Vivarium v = start(Duration.ofMinutes(5), 1_000)) {
            for (int i = 0; i < 1_000; i++) {
                byte[] wat = hello(i % 5);
                deploy(v, "d" + i, wat);
            }
            assertEquals(1_000, v.uploads().count());
            assertEquals(5, v.uploads().modules().size(), "five distinct modules");
            assertEquals(0, v.memoryUsed(), "no instance held by 1,000 idle uploads");
            for (int i : new int[] {0, 1, 499, 998, 999}) {
                assertEquals("hello " + (i % 5), text(get(v, "d" + i + ".apps.test", "/")));
                assertEquals("hello " + (i % 5), text(get(v, "any", "/d" + i + "/x")));
            }
            assertNull(get(v, "d1000.apps.test", "/"));
            UploadException refused =
                    org.junit.jupiter.api.Assertions.assertThrows(
                            UploadException.class, () -> deploy(v, "d1000", hello(0)));
            assertEquals(409, refused.status(), refused.getMessage());
            for (int i = 0; i < 1_000; i += 2) {
                assertTrue(v.uploads().remove("d" + i));
            }
            assertEquals(500, v.uploads().count());
            assertNull(get(v, "d2.apps.test", "/"));
            assertNull(get(v, "x", "/d2/x"));
            assertEquals("hello 3", text(get(v, "d3.apps.test", "/")));
            assertNotNull(v.uploads().get("d3"));
            assertNull(v.uploads().get("d2"));
            assertEquals(1_000, v.deployments().routeCount(), "two routes each");
        }
    }

    /** A small WAT guest answering "hello N"; each N has its own bytes. */
    private static byte[] hello(int n) {
        String body = "hello " + n;
        return ("(module (import \"env\" \"hostcall_resp_set_body\" (func $b (param i32 i32 i32)"
                        + " (result i32))) (memory 1) (data (i32.const 16) \""
                        + body
                        + "\") (func (export \"run\") (drop (call $b (i32.const 0) (i32.const 16)"
                        + " (i32.const "
                        + body.length()
                        + ")))))")
                .getBytes(StandardCharsets.UTF_8);
    }
}
