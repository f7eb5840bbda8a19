package dev.vivarium.core.engine;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wabt.Wat2WasmModule;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * WebAssembly text to a binary module with wabt's {@code wat2wasm}, compiled to JVM bytecode by
 * Chicory's wabt artifact, run on WASI over an in-memory file system. This is what {@code
 * Wat2Wasm.parse} does, except that wat2wasm's error output is kept: it says where the text is
 * wrong ({@code hello.wat:3:7: error: unexpected token ...}), where {@code Wat2Wasm} only reports
 * the exit code.
 */
final class WatText {
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");

    /** Conversions run so far (tests: a cached binary runs none). */
    static final java.util.concurrent.atomic.AtomicLong CONVERSIONS =
            new java.util.concurrent.atomic.AtomicLong();

    private WatText() {}

    /**
     * @param name the guest's file name, used in messages
     * @throws GuestLoadException with wat2wasm's first error line when the text is not valid
     */
    static byte[] toWasm(String name, byte[] text) throws GuestLoadException {
        CONVERSIONS.incrementAndGet();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (FileSystem fs =
                Jimfs.newFileSystem(
                        Configuration.unix().toBuilder().setAttributeViews("unix").build())) {
            Path dir = Files.createDirectory(fs.getPath("guest"));
            Path file = Files.write(dir.resolve("guest.wat"), text);
            WasiOptions options =
                    WasiOptions.builder()
                            .withStdout(out)
                            .withStderr(err)
                            .withDirectory(dir.toString(), dir)
                            .withArguments(List.of("wat2wasm", file.toString(), "--output=-"))
                            .build();
            try (WasiPreview1 wasi = WasiPreview1.builder().withOptions(options).build()) {
                Instance.builder(Wat2WasmModule.load())
                        .withMachineFactory(Wat2WasmModule::create)
                        .withImportValues(
                                ImportValues.builder().addFunction(wasi.toHostFunctions()).build())
                        .build();
            } catch (WasiExitException e) {
                if (e.exitCode() != 0) {
                    throw new GuestLoadException(
                            name + ": invalid WebAssembly text: " + firstError(err, file, name));
                }
            }
        } catch (IOException | RuntimeException e) {
            // anything but a non-zero exit (which names the mistake) is still bad text to the user
            throw new GuestLoadException(
                    name + ": invalid WebAssembly text: " + GuestFaults.describe(e), e);
        }
        return out.toByteArray();
    }

    /** wat2wasm's first line, without colours and naming the guest instead of the temp file. */
    private static String firstError(ByteArrayOutputStream err, Path file, String name) {
        String text = ANSI.matcher(err.toString(StandardCharsets.UTF_8)).replaceAll("").strip();
        int nl = text.indexOf('\n');
        String first = nl < 0 ? text : text.substring(0, nl);
        return first.isEmpty() ? "wat2wasm failed" : first.replace(file.toString(), name);
    }
}
