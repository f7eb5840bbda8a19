package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import dev.vivarium.core.testing.TestEngine;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Splitting large functions ({@link FunctionSplitter}) changes nothing a guest does: the built
 * guests and a WAT module of every shape the splitter handles, split hard (a threshold far below
 * the default), answer and trap exactly as the module as written.
 */
@Timeout(120)
class FunctionSplitterTest {
    private static final int UNSPLIT = Integer.MAX_VALUE;

    private static List<Path> builtGuests() throws Exception {
        try (Stream<Path> s = Files.list(TestGuests.dist())) {
            return s.filter(p -> p.toString().endsWith(".wasm")).sorted().toList();
        }
    }

    @Test
    void noBuiltGuestCompilesToAHugeMethodOnceSplit() throws Exception {
        List<Path> guests = builtGuests();
        assertTrue(guests.size() >= 10, guests.toString());
        for (Path guest : guests) {
            byte[] bytes = Files.readAllBytes(guest);
            WasmModule module = Parser.parse(bytes);
            WasmModule split =
                    FunctionSplitter.apply(
                            guest.toString(), bytes, module, FunctionSplitter.MAX_BODY_BYTES);
            assertEquals(
                    List.of(),
                    JvmCheck.hugeFunctions(GuestLoaderTestSupport.compiledJar(split)),
                    guest.getFileName().toString());
        }
        // and the Rust one had one before (JvmCheckTest), so it was split
        byte[] hello = Files.readAllBytes(TestGuests.dist().resolve("hello.wasm"));
        WasmModule module = Parser.parse(hello);
        WasmModule split =
                FunctionSplitter.apply(
                        "hello.wasm", hello, module, FunctionSplitter.MAX_BODY_BYTES);
        assertTrue(
                split.functionSection().functionCount() > module.functionSection().functionCount());
    }

    @Test
    void aFunctionWithoutRegionsStaysAsItIsAndIsStillNamedHuge() throws Exception {
        // 3000 additions in a row: no block to move out, over 8000 bytes of bytecode
        StringBuilder wat = new StringBuilder("(module (func (export \"run\") (local i32)");
        for (int i = 0; i < 3000; i++) {
            wat.append(" (local.set 0 (i32.add (local.get 0) (i32.const 7)))");
        }
        byte[] bytes = WatText.toWasm("flat.wat", wat.append("))").toString().getBytes());
        WasmModule module = Parser.parse(bytes);
        assertSame(bytes, FunctionSplitter.split(bytes, module, FunctionSplitter.MAX_BODY_BYTES));
        assertSame(
                module,
                FunctionSplitter.apply("flat.wat", bytes, module, FunctionSplitter.MAX_BODY_BYTES));
        assertEquals(1, JvmCheck.hugeFunctions(GuestLoaderTestSupport.compiledJar(module)).size());
    }

    /** The outcome of one call: the results, or the trap's class and message. */
    private static String call(Instance instance, String export, long... args) {
        try {
            long[] r = instance.export(export).apply(args);
            return r == null ? "[]" : java.util.Arrays.toString(r);
        } catch (RuntimeException | StackOverflowError e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }

    private static List<String> exercise(GuestModule guest) {
        InstancePool pool = new InstancePool(guest, 1, new MemoryBudget(1L << 30));
        Instance instance = pool.acquire().instance;
        List<String> out = new ArrayList<>();
        for (int x = -1; x <= 12; x++) {
            out.add("switch " + x + " " + call(instance, "switch", x));
            out.add("table " + x + " " + call(instance, "table", x));
            out.add("trap " + x + " " + call(instance, "trap", x));
        }
        for (int n : new int[] {0, 1, 2, 7, 30, 200, 5000}) {
            out.add("loops " + n + " " + call(instance, "loops", n));
        }
        for (int x : new int[] {0, 5, 63, 64, 200}) {
            out.add("store " + x + " " + call(instance, "store", x));
            out.add("peek " + call(instance, "peek", 100) + call(instance, "peek", 60));
        }
        out.add("recurse " + call(instance, "recurse", 0));
        Memory m = instance.memory();
        out.add("memory " + java.util.Arrays.hashCode(m.readBytes(0, 4096)));
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {20, 24, 28, 32, 40, 48, 56})
    void everyShapeBehavesAsWrittenWhenSplit(int threshold) throws Exception {
        Path wat = TestGuests.watFixtures().resolve("split_regions.wat");
        byte[] text = Files.readAllBytes(wat);
        GuestLimits limits = GuestLimits.withMemoryPages(16);
        GuestModule plain = GuestLoader.load("split_regions.wat", text, limits, UNSPLIT);
        GuestModule split = GuestLoader.load("split_regions.wat", text, limits, threshold);
        assertTrue(
                split.module().functionSection().functionCount()
                        > plain.module().functionSection().functionCount(),
                "nothing was split at " + threshold);
        List<String> expected = exercise(plain);
        // the calls do trap, in each way
        String all = String.join("\n", expected);
        assertTrue(all.contains("trap 3 com.dylibso.chicory"), all);
        assertTrue(all.contains("recurse "), all);
        assertEquals(expected, exercise(split));
    }

    /** The Rust and C guests' answers, split hard and as built, byte for byte. */
    @Test
    void builtGuestsAnswerTheSameSplitHard() throws Exception {
        String[] routes = {
            "/hello -> hello.wasm",
            "/hello_c -> hello_c.wasm",
            "/hello_libc -> hello_libc.wasm",
            "/echo/* -> echo.wasm",
            "/fixture_request/* -> fixture_request.wasm",
            "/fixture_response -> fixture_response.wasm",
            "/fixture_misc -> fixture_misc.wasm",
            "/fixture_big_static -> fixture_big_static.wasm",
            "/fixture_panic/* -> fixture_panic.wasm"
        };
        List<String> plain = answers("false", routes);
        List<String> split = answers("200", routes);
        assertEquals(plain, split);
        for (String a : plain) {
            assertTrue(a.startsWith("200 ") || a.startsWith("201 ") || a.startsWith("500 "), a);
        }
    }

    private static List<String> answers(String split, String[] routes) {
        String before = System.getProperty(GuestLoader.SPLIT_PROPERTY);
        System.setProperty(GuestLoader.SPLIT_PROPERTY, split);
        try (TestEngine t = TestEngine.start(TestGuests.dist(), b -> {}, routes)) {
            if (!split.equals("false")) {
                for (InstancePool pool : t.engine.pools()) {
                    if (pool.guest().name().equals("hello.wasm")) {
                        assertTrue(pool.guest().module().functionSection().functionCount() > 200);
                    }
                }
            }
            Headers h = new Headers().add("x-one", "1").add("x-multi", "a").add("x-multi", "b");
            List<Outcome> outcomes =
                    List.of(
                            t.get("/hello"),
                            t.get("/hello"),
                            t.get("/hello_c"),
                            t.get("/hello_libc"),
                            t.send("POST", "/echo/a?b=c", h, "a body"),
                            t.send("POST", "/fixture_request/path?x=1&y=two", h, "hello body"),
                            t.get("/fixture_response"),
                            t.get("/fixture_misc"),
                            t.get("/fixture_big_static"),
                            t.get("/fixture_big_static"),
                            t.get("/fixture_panic"),
                            t.get("/fixture_panic/status"));
            Function<Outcome, String> describe =
                    o ->
                            o.status()
                                    + " "
                                    + o.kind()
                                    + " "
                                    + o.headers()
                                    + " "
                                    + java.util.Arrays.toString(o.body())
                                    + " "
                                    + o.message();
            return outcomes.stream().map(describe).toList();
        } finally {
            if (before == null) {
                System.clearProperty(GuestLoader.SPLIT_PROPERTY);
            } else {
                System.setProperty(GuestLoader.SPLIT_PROPERTY, before);
            }
        }
    }

    /** A guest spinning in a loop moved into its own function is still stopped at its deadline. */
    @Test
    void theWatchdogStopsASpinningLoopInASplitFunction() throws Exception {
        byte[] text = Files.readAllBytes(TestGuests.watFixtures().resolve("split_spin.wat"));
        GuestModule split =
                GuestLoader.load("split_spin.wat", text, GuestLimits.withMemoryPages(16), 1);
        assertTrue(split.module().functionSection().functionCount() > 1, "the loop was moved");
        String before = System.getProperty(GuestLoader.SPLIT_PROPERTY);
        System.setProperty(GuestLoader.SPLIT_PROPERTY, "1");
        try (TestEngine t =
                TestEngine.wat(
                        "/spin -> split_spin.wat; deadline=300ms",
                        "/brif -> loop_br_if.wat; deadline=300ms")) {
            for (String path : new String[] {"/spin", "/brif", "/spin"}) {
                Outcome o = t.get(path);
                assertEquals(504, o.status(), o.toString());
                assertTrue(
                        o.message().startsWith("guest exceeded its deadline of 300 ms"),
                        o.message());
            }
        } finally {
            if (before == null) {
                System.clearProperty(GuestLoader.SPLIT_PROPERTY);
            } else {
                System.setProperty(GuestLoader.SPLIT_PROPERTY, before);
            }
        }
    }

    @Test
    void theSplitModuleIsValidAndKeepsEveryExport() throws Exception {
        byte[] hello = Files.readAllBytes(TestGuests.dist().resolve("hello.wasm"));
        WasmModule module = Parser.parse(hello);
        byte[] split = FunctionSplitter.split(hello, module, 200);
        assertTrue(split.length > hello.length);
        WasmModule again = Parser.parse(split); // validates
        assertEquals(module.exportSection().exportCount(), again.exportSection().exportCount());
        for (int i = 0; i < module.exportSection().exportCount(); i++) {
            assertEquals(module.exportSection().getExport(i), again.exportSection().getExport(i));
        }
    }
}
