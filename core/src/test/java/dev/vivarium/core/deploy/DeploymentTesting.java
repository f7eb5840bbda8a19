package dev.vivarium.core.deploy;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.testing.TestGuests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the deployment tests. */
final class DeploymentTesting {
    private DeploymentTesting() {}

    static byte[] module(String relative) {
        try {
            return Files.readAllBytes(TestGuests.root().resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A guest request, or null when no route takes it. */
    static Outcome get(Vivarium v, String host, String path) {
        var route = v.route(host, path);
        if (route == null) {
            return null;
        }
        return v.handle(
                route, new GuestRequest("GET", path, host, new Headers(), null, "127.0.0.1"));
    }

    static String text(Outcome o) {
        return new String(o.body(), UTF_8);
    }

    /** Waits for a state another thread brings about; the test's own timeout bounds it. */
    static void await(BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            Thread.sleep(5);
        }
    }

    /**
     * An upload executor that holds every task until {@link #open()}: an upload stays "being
     * compiled" for as long as a test needs.
     */
    static final class Gate implements Executor {
        private final Executor threads = Executors.newCachedThreadPool();
        private final CountDownLatch open = new CountDownLatch(1);
        private final CountDownLatch entered;

        Gate(int tasks) {
            entered = new CountDownLatch(tasks);
        }

        @Override
        public void execute(Runnable task) {
            threads.execute(
                    () -> {
                        entered.countDown();
                        try {
                            open.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        task.run();
                    });
        }

        /** Waits until the expected number of uploads are held at the gate. */
        void awaitEntered() throws InterruptedException {
            entered.await();
        }

        void open() {
            open.countDown();
        }
    }
}
