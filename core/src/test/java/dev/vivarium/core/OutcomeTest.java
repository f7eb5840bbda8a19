package dev.vivarium.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** What an outcome may carry to the adapters. */
class OutcomeTest {

    @Test
    void refusesStatusesThatAreNotFinal() {
        for (int status : new int[] {0, 100, 101, 199, 600, 999}) {
            var e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> Outcome.response(status, new Headers(), new byte[0]));
            assertEquals(
                    "an outcome needs a final status (200..599), not " + status, e.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Outcome.failure(Outcome.Kind.HOST_ERROR, status, "x"));
        }
        assertEquals(200, Outcome.response(200, new Headers(), new byte[0]).status());
        assertEquals(599, Outcome.failure(Outcome.Kind.HOST_ERROR, 599, "x").status());
    }
}
