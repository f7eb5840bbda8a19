package dev.vivarium.core.engine;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wabt.Wat2Wasm;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

final class GuestLoaderTestSupport {
    private GuestLoaderTestSupport() {}

    static byte[] wasmOf(Path wat) throws IOException {
        return Wat2Wasm.parse(Files.readString(wat));
    }

    /** The jar of classes Chicory's compiler hands its cache for {@code module}. */
    static byte[] compiledJar(WasmModule module) {
        byte[][] jar = new byte[1][];
        MachineFactoryCompiler.builder(module)
                .withCache(
                        new Cache() {
                            @Override
                            public byte[] get(String key) {
                                return null;
                            }

                            @Override
                            public void putIfAbsent(String key, byte[] bytes) {
                                jar[0] = bytes;
                            }
                        })
                .compile();
        assertNotNull(jar[0], "Chicory handed the cache no classes");
        return jar[0];
    }
}
