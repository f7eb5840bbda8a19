package dev.vivarium.core.engine;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

final class GuestLoaderTestSupport {
    private GuestLoaderTestSupport() {}

    static byte[] wasmOf(Path wat) throws IOException {
        return Wat2Wasm.parse(Files.readString(wat));
    }
}
