package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.engine.GuestLoader;
import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.testkit.KitServer;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.eclipse.jetty.http.HttpTester;
import org.eclipse.jetty.jmx.MBeanContainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With Jetty's JMX module (an {@link MBeanContainer} on the server), the handler shows its routes,
 * pools, memory and request counts as an MBean, as Jetty's own components do.
 */
@Timeout(60)
class JmxTest {
    @Test
    void theHandlerShowsItsStateOverJmx() throws Exception {
        MBeanServer platform = ManagementFactory.getPlatformMBeanServer();
        MBeanContainer mbeans = new MBeanContainer(platform);
        VivariumHandler handler = new VivariumHandler(TestApplication.handler());
        handler.setGuestDirectory(TestGuests.watFixtures());
        handler.setRoutes("/hello -> hello_raw.wat, /panic -> panic.wat");
        handler.setPoolSize(1);
        handler.setMaxTotalMemory(64L << 20);
        try (KitServer server =
                TestServer.start(
                        (s, settings) -> {
                            // what etc/jetty-jmx.xml does
                            s.addBean(mbeans);
                            s.setHandler(handler);
                        },
                        Map.of())) {
            server.get("/hello");
            HttpTester.Request post = KitServer.request("POST", "/hello");
            post.setContent("x".repeat(100_000));
            assertEquals(200, server.send(post).getStatus());
            server.get("/panic");

            Set<ObjectName> names =
                    platform.queryNames(
                            new ObjectName("dev.vivarium.jetty:type=vivariumhandler,*"), null);
            assertEquals(1, names.size(), names.toString());
            ObjectName name = names.iterator().next();
            assertArrayEquals(
                    new String[] {"/hello -> hello_raw.wat", "/panic -> panic.wat"},
                    (String[]) platform.getAttribute(name, "routes"));
            String[] pools = (String[]) platform.getAttribute(name, "pools");
            assertEquals(2, pools.length);
            assertTrue(pools[0].startsWith("InstancePool[hello_raw.wat idle=1/1"), pools[0]);
            assertEquals(3L, platform.getAttribute(name, "requests"));
            assertEquals(1L, platform.getAttribute(name, "failedRequests"));
            assertEquals(64L << 20, platform.getAttribute(name, "memoryMax"));
            // hello's idle instance of one page; the panicking one was discarded, and the body
            // of the POST was given back once its response was written
            // (the client may read the response an instant before the write's callback runs)
            // (and its tables, globals and per-function data: four functions, nothing else)
            long idle =
                    65536L
                            + GuestLoader.load(TestGuests.watFixtures().resolve("hello_raw.wat"), 1)
                                    .instanceOverhead();
            long until = System.nanoTime() + 5_000_000_000L;
            while (!platform.getAttribute(name, "memoryUsed").equals(idle)
                    && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertEquals(idle, platform.getAttribute(name, "memoryUsed"));
        } finally {
            mbeans.destroy();
        }
        assertTrue(
                platform.queryNames(new ObjectName("dev.vivarium.jetty:*"), null).isEmpty(),
                "unregistered with the server");
    }
}
