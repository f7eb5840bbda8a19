package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvOptions;
import dev.vivarium.core.kv.KvStore;
import dev.vivarium.core.kv.KvStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The child JVM of {@link KvCrashTest}: writes keys to deployment "crash" from several threads, for
 * ever, and prints {@code ack <key>} for each write once the store has acknowledged it. The parent
 * kills it with SIGKILL in the middle of this.
 */
public final class KvCrashChild {
    static final int WRITERS = 4;

    private KvCrashChild() {}

    /** The value written under {@code key}: derived from the key, so the parent can check it. */
    static byte[] valueOf(String key) {
        return (key + "=" + "x".repeat(key.length() * 7 % 200)).getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws InterruptedException {
        KvStores stores =
                KvStores.open(
                        KvOptions.defaults(Path.of(args[0])),
                        Clock.systemUTC(),
                        new SimpleMeterRegistry());
        KvStore kv = stores.store("crash");
        Thread[] writers = new Thread[WRITERS];
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers[w] =
                    new Thread(
                            () -> {
                                for (long i = 0; ; i++) {
                                    String key = "w" + writer + "-" + i;
                                    if (i % 3 == 2) {
                                        kv.append("w" + writer + "-log", valueOf(key));
                                    }
                                    kv.insert(key, valueOf(key));
                                    synchronized (System.out) {
                                        System.out.println("ack " + key);
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
