package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.Parser;
import dev.vivarium.core.testing.TestGuests;
import java.util.List;
import org.junit.jupiter.api.Test;

class JvmCheckTest {
    private static byte[] compiledJar(String guest) {
        return GuestLoaderTestSupport.compiledJar(Parser.parse(TestGuests.dist().resolve(guest)));
    }

    @Test
    void namesTheRustHeaderNameParserAsHuge() throws Exception {
        // The http crate's HeaderName::from_bytes (every Rust guest has it) compiles to about
        // 22 KB of bytecode; `run` no longer does (guests/build.sh, issue 17): only one remains.
        List<String> huge = JvmCheck.hugeFunctions(compiledJar("hello.wasm"));
        assertEquals(1, huge.size(), huge.toString());
        var m =
                java.util.regex.Pattern.compile("function \\d+ \\((\\d+) bytes\\)")
                        .matcher(huge.get(0));
        assertTrue(m.matches(), huge.get(0));
        assertTrue(Integer.parseInt(m.group(1)) > JvmCheck.HUGE_METHOD_LIMIT, huge.get(0));
    }

    @Test
    void smallGuestHasNone() throws Exception {
        assertEquals(List.of(), JvmCheck.hugeFunctions(compiledJar("hello_c.wasm")));
    }
}
