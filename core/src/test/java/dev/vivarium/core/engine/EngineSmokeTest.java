package dev.vivarium.core.engine;

import dev.vivarium.core.GuestRequest;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.Vivarium;
import dev.vivarium.core.config.VivariumOptions;
import dev.vivarium.core.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class EngineSmokeTest {
    @Test
    void helloRaw() {
        var opts =
                VivariumOptions.builder()
                        .guestDirectory(TestGuests.watFixtures())
                        .route("/hello -> hello_raw.wat")
                        .route("/iso -> isolation.wat")
                        .route("/div -> trap_div.wat")
                        .route("/loop -> loop_forever.wat; deadline=200ms")
                        .route("/brif -> loop_br_if.wat; deadline=200ms")
                        .route("/bad -> bad_pointer.wat")
                        .route("/grow -> grow_memory.wat")
                        .build();
        try (Vivarium v = Vivarium.builder(opts).start()) {
            for (String p :
                    new String[] {
                        "/hello", "/iso", "/iso", "/iso", "/div", "/loop", "/brif", "/bad", "/grow",
                        "/hello"
                    }) {
                long t = System.nanoTime();
                Outcome o =
                        v.handle(
                                v.route("x", p),
                                new GuestRequest("GET", p, "x", new Headers(), null, "127.0.0.1"));
                System.out.println(
                        p
                                + " "
                                + o
                                + " "
                                + (o.isOk()
                                        ? new String(o.body(), StandardCharsets.UTF_8)
                                                + " "
                                                + o.headers()
                                        : "")
                                + " "
                                + Duration.ofNanos(System.nanoTime() - t).toMillis()
                                + "ms");
            }
            System.out.println(v.describe());
        }
    }
}
