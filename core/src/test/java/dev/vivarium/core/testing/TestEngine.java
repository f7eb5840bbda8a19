package dev.vivarium.core.testing;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.engine.InstancePool;
import dev.vivarium.core.engine.Route;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;

/** An engine over the WAT fixtures and built guests, with one-line requests, for tests. */
public final class TestEngine implements AutoCloseable {
    public final Vivarium engine;

    private TestEngine(Vivarium engine) {
        this.engine = engine;
    }

    /** Routes in {@code MATCH -> GUEST} form; guests are looked up in {@code dir}. */
    public static TestEngine start(
            Path dir, Consumer<VivariumOptions.Builder> tweak, String... routes) {
        VivariumOptions.Builder b = VivariumOptions.builder().guestDirectory(dir).poolSize(2);
        for (String r : routes) {
            b.route(r);
        }
        tweak.accept(b);
        return new TestEngine(Vivarium.builder(b.build()).start());
    }

    public static TestEngine wat(String... routes) {
        return start(TestGuests.watFixtures(), b -> {}, routes);
    }

    public Outcome get(String target) {
        return send("GET", target, new Headers(), null);
    }

    public Outcome send(String method, String target, Headers headers, String body) {
        GuestRequest req = TestMemory.request(method, target, headers, body);
        Route route = engine.route("example.com", req.path());
        if (route == null) {
            throw new AssertionError("no route for " + target);
        }
        return engine.handle(route, req);
    }

    /** What the engine counts in {@code vivarium.memory.used}. */
    public long memoryUsed() {
        return (long) engine.meterRegistry().get("vivarium.memory.used").gauge().value();
    }

    /** What the idle instances hold: all that may be counted when no request runs. */
    public long idleMemory() {
        return engine.pools().stream().mapToLong(InstancePool::idleMemory).sum();
    }

    public static String body(Outcome o) {
        return new String(o.body(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        engine.close();
    }
}
