package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.testkit.KitServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What is particular to the Jetty handler: its lifecycle, setters, dump and defaults. */
@Timeout(60)
class VivariumHandlerTest {
    @TempDir Path kv;

    private VivariumHandler hello() {
        VivariumHandler handler = new VivariumHandler(TestApplication.handler());
        handler.setRoutes("/hello -> hello_raw.wat");
        handler.setGuestDirectory(TestGuests.watFixtures());
        handler.setSetting("kv.directory", kv.toString());
        handler.setPoolSize(1);
        return handler;
    }

    private static KitServer start(VivariumHandler handler) throws Exception {
        return TestServer.start((server, settings) -> server.setHandler(handler), Map.of());
    }

    @Test
    void isCreatedProgrammaticallyWithTypedSetters() throws Exception {
        VivariumHandler handler = hello();
        handler.setDeadline(Duration.ofSeconds(2));
        handler.setMaxRequestBodySize(4096);
        handler.setMaxResponseBodySize(1 << 20);
        handler.setMaxMemoryPages(32);
        handler.setMaxTotalMemory(64L << 20);

        assertEquals("2000ms", handler.getSetting("deadline"));
        assertEquals("4096", handler.getSetting("maxRequestBodySize"));
        assertEquals("32", handler.getSetting("maxMemoryPages"));
        try (KitServer server = start(handler)) {
            assertEquals("Hello, world!", server.get("/hello").getContent());
            var options = handler.getVivarium().options();
            assertEquals(Duration.ofSeconds(2), options.deadline());
            assertEquals(4096, options.maxRequestBodySize());
            assertEquals(1 << 20, options.maxResponseBodySize());
            assertEquals(32, options.maxMemoryPages());
            assertEquals(64L << 20, options.maxTotalMemory());
            assertEquals(1, options.poolSize());
        }
    }

    @Test
    void refusesSettersWhileRunningAndAcceptsThemAgainOnceStopped() throws Exception {
        VivariumHandler handler = hello();
        try (KitServer server = start(handler)) {
            assertThrows(IllegalStateException.class, () -> handler.setDeadline(Duration.ZERO));
            assertThrows(
                    IllegalStateException.class, () -> handler.setSetting("routes", "/x -> x.wat"));
            assertThrows(IllegalStateException.class, () -> handler.setMeterRegistry(null));
        }
        handler.setSetting("deadline", "3s");
        assertEquals("3s", handler.getSetting("deadline"));
    }

    @Test
    void startsAndStopsTheEngineWithTheHandler() throws Exception {
        VivariumHandler handler = hello();
        assertNull(handler.getVivarium());
        KitServer server = start(handler);
        assertNotNull(handler.getVivarium());
        EngineLifeCycle engine = handler.getBean(EngineLifeCycle.class);
        assertTrue(handler.isManaged(engine) && engine.isStarted(), "a managed, started bean");
        server.close();
        assertNull(handler.getVivarium(), "stopping the server closes the engine");
        assertTrue(engine.isStopped());
    }

    @Test
    void failsTheStartWithAMessageNamingABadSetting() {
        VivariumHandler handler = hello();
        handler.setSetting("deadline", "soon");

        Exception e = assertThrows(Exception.class, () -> start(handler).close());

        ConfigurationException cause = find(e, ConfigurationException.class);
        assertTrue(cause.getMessage().contains("'deadline'"), cause.getMessage());
        assertTrue(cause.getMessage().contains("'soon'"), cause.getMessage());
    }

    @Test
    void failsTheStartOnAnUnknownSettingName() {
        VivariumHandler handler = hello();
        handler.setSetting("dedline", "2s");

        Exception e = assertThrows(Exception.class, () -> start(handler).close());

        String message = find(e, ConfigurationException.class).getMessage();
        assertTrue(message.contains("unknown Vivarium setting 'dedline'"), message);
    }

    @Test
    void failsTheStartWhenAGuestFileIsMissing() {
        VivariumHandler handler = hello();
        handler.setRoutes("/gone -> no_such_guest.wasm");

        Exception e = assertThrows(Exception.class, () -> start(handler).close());

        String message = find(e, ConfigurationException.class).getMessage();
        assertTrue(message.contains("no_such_guest.wasm"), message);
    }

    @Test
    void dumpShowsSettingsRoutesAndPools() throws Exception {
        VivariumHandler handler = hello();
        try (KitServer server = start(handler)) {
            server.get("/hello");
            String dump = handler.dump();

            assertTrue(dump.contains("settings"), dump);
            assertTrue(dump.contains("routes: /hello -> hello_raw.wat"), dump);
            assertTrue(dump.contains("/hello -> hello_raw.wat (deadline 10000ms"), dump);
            assertTrue(dump.contains("InstancePool[hello_raw.wat"), dump);
        }
    }

    @Test
    void staysBlockingWhenItWrapsANonBlockingHandler() {
        Handler nonBlocking = TestApplication.handler();
        assertEquals(InvocationType.NON_BLOCKING, nonBlocking.getInvocationType());

        assertEquals(InvocationType.BLOCKING, new VivariumHandler(nonBlocking).getInvocationType());
    }

    @Test
    void fallsThroughWhenNothingIsWrappedAndNoRouteMatches() throws Exception {
        VivariumHandler handler = new VivariumHandler();
        handler.setRoutes("/hello -> hello_raw.wat");
        handler.setGuestDirectory(TestGuests.watFixtures());
        handler.setSetting("kv.directory", kv.toString());
        try (KitServer server = start(handler)) {
            assertEquals(404, server.get("/elsewhere").getStatus());
            assertEquals(200, server.get("/hello").getStatus());
        }
    }

    @Test
    void looksUpGuestsUnderJettyBaseWhenNoGuestDirectoryIsSet(@TempDir Path base) throws Exception {
        Path guests =
                Files.createDirectories(base.resolve(VivariumHandler.DEFAULT_GUEST_DIRECTORY));
        Files.copy(TestGuests.watFixtures().resolve("hello_raw.wat"), guests.resolve("hi.wat"));
        VivariumHandler handler = new VivariumHandler();
        handler.setRoutes("/hi -> hi.wat");
        String previous = System.setProperty("jetty.base", base.toString());
        try (KitServer server = start(handler)) {
            assertEquals("Hello, world!", server.get("/hi").getContent());
            assertEquals(
                    base.resolve(VivariumHandler.DEFAULT_KV_DIRECTORY),
                    handler.getVivarium().options().kv().directory());
        } finally {
            if (previous == null) {
                System.clearProperty("jetty.base");
            } else {
                System.setProperty("jetty.base", previous);
            }
        }
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
            for (Throwable s : c.getSuppressed()) {
                if (type.isInstance(s)) {
                    return type.cast(s);
                }
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + t, t);
    }
}
