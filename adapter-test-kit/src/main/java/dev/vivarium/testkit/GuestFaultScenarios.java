package dev.vivarium.testkit;

import static dev.vivarium.testkit.KitContext.getAsync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Guest faults become responses, and the server keeps serving: traps, panics, deadlines, memory
 * limits, bad pointers, fresh state. Part of the kit every adapter runs through {@link
 * AdapterScenarios}.
 */
@Timeout(120)
public interface GuestFaultScenarios extends KitContext {
    @Test
    default void returns500WithTheTrapMessageWhenTheGuestDividesByZero() throws Exception {
        HttpTester.Response response = server().get("/trap");

        assertEquals(500, response.getStatus());
        assertTrue(
                response.getContent()
                        .contains("guest trapped: integer divide by zero in trap_div.wat"),
                response.getContent());
    }

    @Test
    default void returns500WithThePanicMessageWhenTheGuestPanics() throws Exception {
        HttpTester.Response response = server().get("/panic");

        assertEquals(500, response.getStatus());
        assertTrue(
                response.getContent().contains("boom: this guest panics on purpose"),
                response.getContent());
    }

    @Test
    default void returns500WithThePanicMessageWhenARustGuestPanics() throws Exception {
        assumeTrue(Files.exists(RUST_PANIC_WASM), "guests/dist/panic.wasm is not built");

        HttpTester.Response response = server().get("/rust/panic");

        assertEquals(500, response.getStatus());
        assertTrue(
                response.getContent().contains("boom: this guest panics on purpose"),
                response.getContent());
    }

    @Test
    default void returns504WhenTheGuestRunsPastItsDeadlineThenServesTheNextRequest()
            throws Exception {
        HttpTester.Response response = server().get("/slow");

        assertEquals(504, response.getStatus());
        assertTrue(
                response.getContent()
                        .contains("guest exceeded its deadline of 300 ms in loop_forever.wat"),
                response.getContent());
        assertEquals("Hello, world!", server().get("/hello").getContent());
    }

    @Test
    default void returns503WhenGuestMemoryIsAtMaxTotalMemoryThenServesTheNextRequest()
            throws Exception {
        KitServer server = server();
        // each grows to 21 pages and holds them until its deadline: two do not fit in 32
        ExecutorService clients = Executors.newFixedThreadPool(2);
        CompletableFuture<HttpTester.Response> a;
        CompletableFuture<HttpTester.Response> b;
        try {
            a = getAsync(server, "/memory-hog", clients);
            b = getAsync(server, "/memory-hog", clients);
            a.join();
            b.join();
        } finally {
            clients.shutdownNow();
        }
        List<Integer> statuses = new ArrayList<>(List.of(a.get().getStatus(), b.get().getStatus()));
        Collections.sort(statuses);
        assertEquals(List.of(503, 504), statuses);
        HttpTester.Response refused = a.get().getStatus() == 503 ? a.get() : b.get();
        assertTrue(
                refused.getContent()
                        .contains(
                                "guest failed after memory.grow by 20 pages was refused: guests"
                                        + " hold "),
                refused.getContent());
        assertTrue(
                refused.getContent().contains("of maxTotalMemory (2 MiB) in grow_hold.wat"),
                refused.getContent());
    }

    @Test
    default void memoryGrowthPastMaxMemoryPagesFailsInsideTheGuest() throws Exception {
        assertEquals("grow=-1", server().get("/grow").getContent());
    }

    @Test
    default void returns500WhenTheGuestPassesAPointerOutsideItsMemory() throws Exception {
        HttpTester.Response response = server().get("/bad-pointer");

        assertEquals(500, response.getStatus());
        assertTrue(response.getContent().contains("outside guest memory"), response.getContent());
        assertTrue(
                response.getContent().contains("hostcall_resp_set_body: body at 0xfffff000"),
                response.getContent());
    }

    @Test
    default void givesEveryRequestAFreshInstance() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals("global=1 memory=1", server().get("/isolation").getContent());
        }
    }
}
