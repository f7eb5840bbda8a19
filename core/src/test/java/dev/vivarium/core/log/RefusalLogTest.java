package dev.vivarium.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 18 item 5: 28,000 anonymous refusals with 7 KB paths wrote 200 MB of log in 10 s. Lines
 * about refusals are now a few a second with their paths cut.
 */
class RefusalLogTest {
    @Test
    void manyRefusalsWriteAFewShortLinesAndCountTheRest() {
        AtomicLong now = new AtomicLong();
        CapturingLogger out = new CapturingLogger();
        RefusalLog log = new RefusalLog(out.logger, 10, now::get);
        String path = "/_vivarium/" + "x".repeat(7000);
        for (int i = 0; i < 28_000; i++) {
            if (i % 2800 == 0 && i > 0) {
                now.addAndGet(1_000_000_000L); // 10 s in all
            }
            log.info(
                    "refused admin request {} {} from {}", "GET", Clip.clip(path, 200), "10.0.0.1");
        }
        assertEquals(100, out.lines.size(), "10 a second for 10 s");
        assertTrue(out.bytes() < 100 * 400, out.bytes() + " bytes, not 200 MB");
        assertTrue(
                out.lines.get(10).contains("(2790 similar lines suppressed before this one)"),
                out.lines.get(10));
        assertEquals(2790, log.suppressed());
    }
}
