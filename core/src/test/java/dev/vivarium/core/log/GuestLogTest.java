package dev.vivarium.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 18 item 5: a guest's output is kept within a per-request and a per-deployment budget, and
 * the rest is reported as one "n lines dropped" line, not written.
 */
class GuestLogTest {
    private static final String KB = "x".repeat(1000);

    @Test
    void aRequestKeepsItsLineBudgetThenOneDroppedLine() {
        CapturingLogger out = new CapturingLogger();
        GuestLog log = new GuestLog(out.logger, "g", "/p", 100, 1 << 20, LogBudget.UNLIMITED);
        for (int i = 0; i < 100_000; i++) {
            log.line(KB);
        }
        log.close();
        assertEquals(101, out.lines.size());
        String last = out.lines.get(100);
        assertTrue(last.contains("99900 lines (99900000 bytes) of guest output dropped"), last);
        assertTrue(last.contains("guestLog.maxLines 100"), last);
        assertTrue(out.bytes() < 110_000, "about 100 KB, not 100 MB: " + out.bytes());
    }

    @Test
    void aRequestKeepsItsByteBudget() {
        CapturingLogger out = new CapturingLogger();
        GuestLog log = new GuestLog(out.logger, "g", "/p", 1000, 2500, LogBudget.UNLIMITED);
        for (int i = 0; i < 5; i++) {
            log.line(KB);
        }
        log.close();
        assertEquals(3, out.lines.size(), out.lines.toString());
        assertTrue(out.lines.get(2).contains("3 lines (3000 bytes)"), out.lines.get(2));
    }

    @Test
    void aDeploymentsRequestsShareItsRateAndReportDropsOnceASecond() {
        AtomicLong now = new AtomicLong();
        LogBudget deployment = new LogBudget(150, 1 << 20, now::get);
        CapturingLogger out = new CapturingLogger();
        for (int r = 0; r < 3; r++) {
            GuestLog log = new GuestLog(out.logger, "g", "/p", 100, 1 << 20, deployment);
            for (int i = 0; i < 100; i++) {
                log.line("line " + i);
            }
            log.close();
        }
        // 100 + 50 lines fit in the deployment's second, then one report of what was dropped
        assertEquals(150 + 1, out.lines.size(), String.join("\n", out.lines));
        String report = out.lines.get(150);
        assertTrue(report.contains("50 lines") && report.contains("deployment's budget"), report);

        // the third request's drops wait for the next report, a second later
        now.addAndGet(1_000_000_000L);
        GuestLog later = new GuestLog(out.logger, "g", "/p", 1000, 1 << 20, deployment);
        for (int i = 0; i < 200; i++) {
            later.line("again " + i);
        }
        later.close();
        String next = out.lines.get(out.lines.size() - 1);
        assertEquals(151 + 150 + 1, out.lines.size());
        assertTrue(next.contains("150 lines"), "100 of the third request and 50 now: " + next);
    }

    @Test
    void streamOutputIsSplitIntoLinesAndTheRestFlushedAtClose() {
        CapturingLogger out = new CapturingLogger();
        GuestLog log = new GuestLog(out.logger, "g", "/p", 10, 1 << 10, LogBudget.UNLIMITED);
        byte[] a = "one\ntw".getBytes(StandardCharsets.UTF_8);
        byte[] b = "o\nthree".getBytes(StandardCharsets.UTF_8);
        log.write(a, 0, a.length);
        log.write(b, 0, b.length);
        log.close();
        assertEquals(3, out.lines.size(), out.lines.toString());
        assertTrue(out.lines.get(0).endsWith("] one"), out.lines.get(0));
        assertTrue(out.lines.get(1).endsWith("] two"), out.lines.get(1));
        assertTrue(out.lines.get(2).endsWith("] three"), out.lines.get(2));
    }

    @Test
    void aGuestCannotForgeLinesAndLongPathsAreCut() {
        CapturingLogger out = new CapturingLogger();
        GuestLog log =
                new GuestLog(
                        out.logger, "g", "/" + "a".repeat(7000), 10, 1 << 10, LogBudget.UNLIMITED);
        log.line("ok\r\n[other /admin] forged");
        log.close();
        assertEquals(2, out.lines.size(), out.lines.toString());
        String line = out.lines.get(0);
        assertTrue(line.endsWith("] ok?"), line);
        assertTrue(out.lines.get(1).startsWith("[g /aaa"), "prefixed as the guest's own");
        assertTrue(line.length() < 400, line.length() + " characters");
        assertTrue(line.contains("(6801 more characters)"), line);
    }
}
