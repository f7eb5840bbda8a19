package dev.vivarium.core.deploy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Setting {@code guestDirectory.watch}: a routed guest file changed on disk is swapped in. */
@Timeout(120)
class GuestReloadTest {
    @TempDir Path guests;
    @TempDir Path kvDir;

    static String hello() throws Exception {
        return Files.readString(TestGuests.root().resolve("wat/hello.wat"));
    }

    Vivarium start(boolean watch) throws Exception {
        Files.writeString(guests.resolve("hello.wat"), hello());
        Map<String, String> s = new java.util.HashMap<>();
        s.put("routes", "/hello -> hello.wat; id=hello");
        s.put("poolSize", "2");
        s.put("guestDirectory.watch", String.valueOf(watch));
        return Vivarium.builder(VivariumOptions.parse(s, guests, kvDir)).start();
    }

    /** Writes the new file next to the old one and moves it into place, as a deploy would. */
    void replace(String text) throws Exception {
        Path tmp = guests.resolve("hello.wat.tmp");
        Files.writeString(tmp, text);
        Files.move(
                tmp,
                guests.resolve("hello.wat"),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    static Outcome get(Vivarium v) {
        return AdminApiTest.send(v, "GET", "/hello", null, null);
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "gave up waiting for " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void aChangedGuestFileIsSwappedInWithoutAFailedRequest() throws Exception {
        try (Vivarium v = start(true)) {
            assertEquals("Hello, world!", new String(get(v).body(), UTF_8));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            Map<String, Integer> bodies = new ConcurrentHashMap<>();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Thread t =
                        new Thread(
                                () -> {
                                    while (!stop.get()) {
                                        Outcome o = get(v);
                                        sent.incrementAndGet();
                                        if (o == null || o.status() != 200) {
                                            failures.add(o == null ? "not served" : o.toString());
                                        } else {
                                            bodies.merge(
                                                    new String(o.body(), UTF_8), 1, Integer::sum);
                                        }
                                    }
                                });
                t.start();
                threads.add(t);
            }
            try {
                await("requests before the swap", () -> sent.get() > 200);
                replace(hello().replace("Hello, world!", "Howdy, world!"));
                await("the new body under load", () -> bodies.containsKey("Howdy, world!"));
                int at = sent.get();
                await("requests after the swap", () -> sent.get() > at + 200);
            } finally {
                stop.set(true);
                for (Thread t : threads) {
                    t.join();
                }
            }
            assertEquals(List.of(), failures, "requests that failed during the swap");
            assertEquals("Howdy, world!", new String(get(v).body(), UTF_8));
            assertTrue(bodies.containsKey("Hello, world!"), bodies.toString());
        }
    }

    @Test
    void aBrokenGuestFileKeepsTheOldVersionServing() throws Exception {
        try (Vivarium v = start(true)) {
            GuestWatcher w = v.guestWatcher();
            Files.writeString(guests.resolve("hello.wat"), "(module (func $run (export \"run\")");
            await("the broken file to be tried", () -> w.failures() >= 1);
            Outcome o = get(v);
            assertEquals(200, o.status());
            assertEquals("Hello, world!", new String(o.body(), UTF_8));
            // the next good file is loaded again
            replace(hello().replace("Hello, world!", "Howdy, world!"));
            await("the fixed file", () -> "Howdy, world!".equals(new String(get(v).body(), UTF_8)));
        }
    }

    @Test
    void withoutTheSettingFilesAreNotWatched() throws Exception {
        try (Vivarium v = start(false)) {
            assertNull(v.guestWatcher());
            replace(hello().replace("Hello, world!", "Howdy, world!"));
            assertEquals("Hello, world!", new String(get(v).body(), UTF_8));
        }
    }
}
