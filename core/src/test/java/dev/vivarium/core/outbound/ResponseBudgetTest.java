package dev.vivarium.core.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.engine.MemoryBudget;
import org.junit.jupiter.api.Test;

/** One guest request's response bytes: its own limit, and what they hold of maxTotalMemory. */
class ResponseBudgetTest {
    @Test
    void aChunkRefusedForMemoryUsesNoneOfTheRequestsOwnLimit() {
        MemoryBudget memory = new MemoryBudget(100);
        ResponseBudget budget = new ResponseBudget(1000, memory);
        OutboundFailure refused = budget.share().take(500);
        assertTrue(
                refused.getMessage().startsWith("no memory for the response body: guests hold"),
                refused.getMessage());
        assertEquals(1000, budget.remaining());
        assertEquals(0, memory.used());
    }

    @Test
    void aFailedResponseGivesBackWhatItHeldAndACompletedOneHoldsUntilClose() {
        MemoryBudget memory = new MemoryBudget(1000);
        ResponseBudget budget = new ResponseBudget(10_000, memory);
        ResponseBudget.Share completed = budget.share();
        ResponseBudget.Share failing = budget.share();
        assertNull(completed.take(300));
        assertNull(failing.take(200));
        assertNull(failing.take(200));
        assertEquals(700, memory.used());
        failing.failed();
        assertEquals(300, memory.used(), "the failed response's bytes are garbage now");
        assertEquals(9_300, budget.remaining(), "but they did arrive: the request's own limit");
        failing.failed();
        assertEquals(300, memory.used(), "given back once");
        budget.close();
        assertEquals(0, memory.used());
        completed.failed();
        assertEquals(0, memory.used(), "nothing more after close");
        assertEquals(
                "aborted: the guest request ended", completed.take(1).getMessage(), "and late");
        assertEquals(0, memory.used());
    }

    @Test
    void aDeclaredLengthThatCouldNeverFitIsRefusedBeforeAnyBodyArrives() {
        MemoryBudget memory = new MemoryBudget(1000);
        ResponseBudget budget = new ResponseBudget(10_000, memory);
        assertNull(budget.share().take(400));
        ResponseBudget.Share big = budget.share();
        assertEquals(
                "no memory for a response body of 700 bytes: guests hold 400 bytes of"
                        + " maxTotalMemory (1000 bytes)",
                big.admit(700).getMessage());
        assertNull(big.admit(600));
        assertEquals(
                "the responses of this guest request together exceed"
                        + " outbound.maxTotalResponseSize (10000 bytes)",
                big.admit(9_700).getMessage());
    }
}
