package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import dev.vivarium.core.kv.PendingWrites;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The child JVM of {@link KvCrashTest}: writes keys to deployment "crash" from several threads, for
 * ever, and prints {@code ack <key> <nanoTime>} for each write once the store has acknowledged it.
 * The parent kills it with SIGKILL in the middle of this. Half the writers write as a request does
 * (in a {@link PendingWrites} scope, waiting for the writes once the "guest" is done), half wait in
 * every write. Arguments: the directory, then optionally {@code kv.durability} and {@code
 * kv.syncInterval} in milliseconds.
 */
public final class KvCrashChild {
    static final int WRITERS = 4;

    private KvCrashChild() {}

    /** The value written under {@code key}: derived from the key, so the parent can check it. */
    static byte[] valueOf(String key) {
        return (key + "=" + "x".repeat(key.length() * 7 % 200)).getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws InterruptedException {
        KvOptions.Builder options = KvOptions.builder(Path.of(args[0]));
        if (args.length > 1) {
            options.durability(args[1]).syncInterval(Duration.ofMillis(Long.parseLong(args[2])));
        }
        KvStores stores =
                KvStores.open(options.build(), Clock.systemUTC(), new SimpleMeterRegistry());
        KvStore kv = stores.store("crash");
        Thread[] writers = new Thread[WRITERS];
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers[w] =
                    new Thread(
                            () -> {
                                boolean deferred = writer % 2 == 1;
                                PendingWrites request = new PendingWrites();
                                for (long i = 0; ; i++) {
                                    String key = "w" + writer + "-" + i;
                                    if (deferred) {
                                        request.enter(Long.MAX_VALUE);
                                    }
                                    try {
                                        if (i % 3 == 2) {
                                            kv.append("w" + writer + "-log", valueOf(key));
                                        }
                                        kv.insert(key, valueOf(key));
                                    } finally {
                                        if (deferred) {
                                            request.exit();
                                        }
                                    }
                                    if (deferred) {
                                        request.awaitDurable();
                                    }
                                    long at = System.nanoTime();
                                    synchronized (System.out) {
                                        System.out.println("ack " + key + " " + at);
                                        System.out.flush();
                                    }
                                }
                            });
            writers[w].start();
        }
        for (Thread t : writers) {
            t.join();
        }
    }
}
