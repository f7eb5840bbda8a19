package dev.vivarium.core.abi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.Headers;
import dev.vivarium.core.testing.TestMemory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The request and response families on a standalone memory, with no guest. */
class RequestResponseHostcallsTest {
    private final TestMemory mem = new TestMemory(1);
    private final Headers headers =
            new Headers().add("X-Multi", "a").add("x-multi", "b").add("Accept", "*/*");
    private final CallContext ctx =
            mem.context(TestMemory.request("POST", "/a/b?x=1", headers, "hello"));

    @Test
    void getMethodAndPathWriteNulTerminatedCopies() {
        RequestHostcalls.reqGetMethod(ctx, 100, 104, 0);
        RequestHostcalls.reqGetPath(ctx, 108, 112, 0);
        assertEquals("POST", mem.stringOut(100));
        assertEquals("/a/b?x=1", mem.stringOut(108));
        int pathPtr = mem.i32(108);
        assertEquals(0, mem.memory.read(pathPtr + 8), "trailing NUL after the path");
        assertEquals(List.of(5, 9), mem.allocations, "len + 1 bytes per string");
    }

    @Test
    void getHeaderReturnsAllValuesInOrderAndHeadersReturnsLowerCaseNames() {
        int len = mem.putAt(200, "x-MULTI");
        RequestHostcalls.reqGetHeader(ctx, 100, 104, 0, 200, len);
        assertEquals(List.of("a", "b"), mem.slicesOut(100));
        RequestHostcalls.reqGetHeaders(ctx, 108, 112, 0);
        assertEquals(List.of("x-multi", "accept"), mem.slicesOut(108));
    }

    /**
     * Jetty reads each header byte as one char (ISO-8859-1): the guest gets those bytes back, and
     * the bytes it sets become the chars Jetty writes as the same bytes.
     */
    @Test
    void headerNamesAndValuesCrossAsTheOctetsOnTheWire() {
        byte[] wire = {'c', 'a', 'f', (byte) 0xc3, (byte) 0xa9, ' ', (byte) 0xe9};
        String asJettyReadsIt = new String(wire, StandardCharsets.ISO_8859_1);
        CallContext c =
                mem.context(
                        TestMemory.request(
                                "GET", "/", new Headers().add("x-\u00e9", asJettyReadsIt), null));
        int name = mem.put("x-\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        RequestHostcalls.reqGetHeader(c, 100, 104, 0, name, 3);
        assertArrayEquals(wire, mem.rawSlicesOut(100).get(0));
        RequestHostcalls.reqGetHeaders(c, 108, 112, 0);
        assertArrayEquals(new byte[] {'x', '-', (byte) 0xe9}, mem.rawSlicesOut(108).get(0));

        int out = mem.putAt(200, "x-out");
        assertEquals(
                ResponseHostcalls.OK,
                ResponseHostcalls.respSetHeader(c, 0, 200, out, mem.byteSlices(wire), 1));
        assertEquals(List.of(asJettyReadsIt), c.responseHeaders().values("x-out"));
    }

    /**
     * Short header text goes through the memory view's scratch buffer ({@code
     * GuestMemory.SCRATCH_SIZE} bytes), longer text through a byte array of its own: both cross
     * byte for byte, every octet value included, at each length around the buffer's size and its
     * 8-byte reads.
     */
    @Test
    void headerTextOfEveryLengthAroundTheScratchBufferCrossesByteForByte() {
        int scratch = GuestMemory.SCRATCH_SIZE;
        for (int n : new int[] {1, 7, 8, 9, 16, scratch - 1, scratch, scratch + 1, 3 * scratch}) {
            byte[] value = new byte[n];
            for (int i = 0; i < n; i++) {
                // every octet from 0x20 to 0xff (no CR, LF or NUL: a guest may not set those)
                value[i] = (byte) (0x20 + (i * 37 + n) % 0xe0);
            }
            String text = new String(value, StandardCharsets.ISO_8859_1);
            String name = "x-" + "n".repeat(n);
            TestMemory m = new TestMemory(1);
            CallContext c =
                    m.context(TestMemory.request("GET", "/", new Headers().add(name, text), null));

            int namePtr = m.put(name.getBytes(StandardCharsets.ISO_8859_1));
            RequestHostcalls.reqGetHeader(c, 100, 104, 0, namePtr, name.length());
            assertArrayEquals(value, m.rawSlicesOut(100).get(0), n + " bytes: get_header");
            RequestHostcalls.reqGetHeaders(c, 108, 112, 0);
            assertEquals(List.of(name), m.slicesOut(108), n + " bytes: get_headers");

            assertEquals(
                    ResponseHostcalls.OK,
                    ResponseHostcalls.respSetHeader(
                            c, 0, namePtr, name.length(), m.byteSlices(value, value), 2));
            assertEquals(List.of(text, text), c.responseHeaders().values(name), n + " bytes: set");
        }
    }

    /** The path crosses as UTF-8: ASCII through the scratch buffer, the rest encoded. */
    @Test
    void pathsCrossAsUtf8WhateverTheirLength() {
        String longPath = "/" + "a".repeat(3 * GuestMemory.SCRATCH_SIZE);
        for (String path :
                List.of("/x", "/caf\u00e9?q=\u00fc\u20ac", longPath, "/\u00e9" + longPath)) {
            TestMemory m = new TestMemory(1);
            CallContext c = m.context(TestMemory.request("GET", path, new Headers(), null));
            RequestHostcalls.reqGetPath(c, 100, 104, 0);
            assertArrayEquals(path.getBytes(StandardCharsets.UTF_8), m.bytesOut(100), path);
        }
    }

    /**
     * A char no octet stands for (none comes from the wire) crosses as {@code ?}, as Jetty writes
     * it.
     */
    @Test
    void aHeaderCharAboveFfCrossesAsAQuestionMark() {
        CallContext c =
                mem.context(
                        TestMemory.request("GET", "/", new Headers().add("x-v", "a\u20acb"), null));
        int name = mem.put("x-v".getBytes(StandardCharsets.ISO_8859_1));
        RequestHostcalls.reqGetHeader(c, 100, 104, 0, name, 3);
        assertArrayEquals(new byte[] {'a', '?', 'b'}, mem.rawSlicesOut(100).get(0));
    }

    @Test
    void absentHeaderAndUnknownHandleWriteZeroZero() {
        int out = mem.outParams();
        int len = mem.putAt(200, "absent");
        RequestHostcalls.reqGetHeader(ctx, out, out + 4, 0, 200, len);
        assertEquals(List.of(0, 0), mem.pairOut(out));
        out = mem.outParams();
        RequestHostcalls.reqGetMethod(ctx, out, out + 4, 7);
        assertEquals(0, mem.i32(out));
        assertTrue(mem.allocations.isEmpty(), "nothing allocated for nothing");
    }

    @Test
    void emptyBodyIsZeroZeroWithoutAllocation() {
        CallContext noBody = mem.context(TestMemory.request("GET", "/", new Headers(), null));
        int out = mem.outParams();
        RequestHostcalls.reqGetBody(noBody, out, out + 4, 0);
        assertEquals(List.of(0, 0), mem.pairOut(out));
        assertTrue(mem.allocations.isEmpty());
    }

    @Test
    void emptyHeaderValueStillGetsAnAllocation() {
        CallContext c =
                mem.context(TestMemory.request("GET", "/", new Headers().add("x-empty", ""), null));
        int len = mem.putAt(200, "x-empty");
        RequestHostcalls.reqGetHeader(c, 100, 104, 0, 200, len);
        assertEquals(List.of(""), mem.slicesOut(100));
        assertEquals(List.of(1, 8), mem.allocations, "a 1-byte value and one GuestSlice");
    }

    @Test
    void outOfBoundsPointersTrapWithTheirName() {
        var e =
                assertThrows(
                        HostcallTrap.class,
                        () -> RequestHostcalls.reqGetMethod(ctx, 65534, 104, 0));
        assertTrue(e.getMessage().contains("out-param ptr at 0xfffe"), e.getMessage());
        var e2 =
                assertThrows(
                        HostcallTrap.class,
                        () -> RequestHostcalls.reqGetHeader(ctx, 100, 104, 0, -8, 16));
        assertTrue(e2.getMessage().contains("header name at 0xfffffff8"), e2.getMessage());
    }

    @Test
    void respSetHeaderReplacesWithAllValues() {
        int name = mem.putAt(200, "X-Multi");
        int values = mem.slices("p", "q");
        assertEquals(
                ResponseHostcalls.OK,
                ResponseHostcalls.respSetHeader(ctx, 0, 200, name, values, 2));
        assertEquals(List.of("p", "q"), ctx.responseHeaders().values("x-multi"));
        ResponseHostcalls.respSetHeader(ctx, 0, 200, name, mem.slices("r"), 1);
        assertEquals(List.of("r"), ctx.responseHeaders().values("x-multi"));
    }

    @Test
    void respSetResponseCodeTakesOnlyFinalStatusesAndKeepsTheStatusOtherwise() {
        assertEquals(ResponseHostcalls.OK, ResponseHostcalls.respSetResponseCode(ctx, 0, 418));
        for (int code : new int[] {-1, 0, 99, 100, 101, 103, 199, 600, 999, 1000}) {
            assertEquals(
                    ResponseHostcalls.INVALID,
                    ResponseHostcalls.respSetResponseCode(ctx, 0, code),
                    "status " + code);
            assertEquals(418, ctx.status(), "unchanged after " + code);
        }
        assertEquals(ResponseHostcalls.OK, ResponseHostcalls.respSetResponseCode(ctx, 0, 200));
        assertEquals(ResponseHostcalls.OK, ResponseHostcalls.respSetResponseCode(ctx, 0, 599));
        assertEquals(599, ctx.status());
    }

    @Test
    void respSettersRejectBadHandlesCodesAndHeaderInjection() {
        assertEquals(ResponseHostcalls.INVALID, ResponseHostcalls.respSetResponseCode(ctx, 0, 99));
        assertEquals(ResponseHostcalls.INVALID, ResponseHostcalls.respSetResponseCode(ctx, 1, 200));
        assertEquals(ResponseHostcalls.OK, ResponseHostcalls.respSetResponseCode(ctx, 0, 418));
        assertEquals(418, ctx.status());
        int name = mem.putAt(200, "x-a");
        int values = mem.slices("1\r\nset-cookie: evil");
        assertEquals(
                ResponseHostcalls.INVALID,
                ResponseHostcalls.respSetHeader(ctx, 0, 200, name, values, 1));
        int bad = mem.putAt(200, "bad name");
        assertEquals(
                ResponseHostcalls.INVALID,
                ResponseHostcalls.respSetHeader(ctx, 0, 200, bad, values, 1));
        assertEquals(ResponseHostcalls.INVALID, ResponseHostcalls.respSetBody(ctx, 3, 200, 1));
    }

    @Test
    void respSetBodyOverLimitIsALimitTrap() {
        CallContext limited = mem.builder().maxResponseBodySize(4).build();
        var e =
                assertThrows(
                        HostcallTrap.class,
                        () -> ResponseHostcalls.respSetBody(limited, 0, 200, 5));
        assertEquals(dev.vivarium.core.Outcome.Kind.LIMIT, e.kind());
        assertTrue(
                e.getMessage().contains("exceeds maxResponseBodySize (4 bytes)"), e.getMessage());
    }

    @Test
    void headersThatWouldHoldMoreThanTheLimitAreALimitTrapBeforeAnythingIsCopied() {
        TestMemory big = new TestMemory(2);
        CallContext c = big.context(TestMemory.request("GET", "/", new Headers(), null));
        int name = big.put("x-big");
        // 1000 slices over the same 60,000 bytes: 60 MB if the host copied them all
        int array = big.i32s(new int[2000]);
        for (int i = 0; i < 1000; i++) {
            big.memory.writeI32(array + i * 8, 0);
            big.memory.writeI32(array + i * 8 + 4, 60_000);
        }
        var e =
                assertThrows(
                        HostcallTrap.class,
                        () -> ResponseHostcalls.respSetHeader(c, 0, name, 5, array, 1000));
        assertEquals(dev.vivarium.core.Outcome.Kind.LIMIT, e.kind());
        assertEquals(
                "values of header x-big of 60000000 bytes exceed the header limit (65531 bytes)",
                e.getMessage());

        // one at a time they fit; together they do not
        int value = big.put(new byte[40_000]);
        big.memory.writeI32(array, value);
        big.memory.writeI32(array + 4, 40_000);
        big.memory.fill((byte) 'v', value, value + 40_000);
        assertEquals(0, ResponseHostcalls.respSetHeader(c, 0, big.put("x-one"), 5, array, 1));
        e =
                assertThrows(
                        HostcallTrap.class,
                        () -> ResponseHostcalls.respSetHeader(c, 0, big.put("x-two"), 5, array, 1));
        assertEquals(
                "headers of the response would have 80010 bytes, more than the header limit"
                        + " (65536 bytes)",
                e.getMessage());
        assertEquals(
                0,
                ResponseHostcalls.respSetHeader(c, 0, big.put("x-one"), 5, array, 1),
                "replacing a header counts what it replaces");
        assertEquals(List.of("x-one"), c.responseHeaders().names());

        e =
                assertThrows(
                        HostcallTrap.class,
                        () -> ResponseHostcalls.respSetHeader(c, 0, 0, 70_000, array, 0));
        assertEquals(
                "header name of 70000 bytes exceeds the header limit (65536 bytes)",
                e.getMessage());
    }

    @Test
    void timeNowWritesSubsecondNanosUnlessNull() {
        CallContext fixed =
                mem.builder()
                        .clock(
                                java.time.Clock.fixed(
                                        java.time.Instant.ofEpochSecond(1_700_000_000, 123_456_789),
                                        java.time.ZoneOffset.UTC))
                        .build();
        assertEquals(1_700_000_000L, SystemHostcalls.timeNow(fixed, 100));
        assertEquals(123_456_789, mem.memory.readInt(100));
        assertEquals(1_700_000_000L, SystemHostcalls.timeNow(fixed, 0));
    }

    @Test
    void rngUsesTheInjectedSource() {
        CallContext seeded = mem.builder().random(new java.util.SplittableRandom(42)).build();
        assertEquals(
                new java.util.SplittableRandom(42).nextLong(), SystemHostcalls.rngNextU64(seeded));
    }

    @Test
    void debugWithLengthMinusOneReadsACString() {
        mem.putAt(200, "from C\0garbage");
        SystemHostcalls.panicHook(ctx, 200, -1);
        assertEquals("from C", ctx.panicMessage());
    }

    @Test
    void longMessagesAreCut() {
        mem.putAt(200, "x".repeat(5000));
        SystemHostcalls.panicHook(ctx, 200, 5000);
        assertEquals(4096 + 1, ctx.panicMessage().length());
    }

    @Test
    void panicHookKeepsTheMessage() {
        int len = mem.putAt(200, "boom");
        SystemHostcalls.panicHook(ctx, 200, len);
        assertEquals("boom", ctx.panicMessage());
    }
}
