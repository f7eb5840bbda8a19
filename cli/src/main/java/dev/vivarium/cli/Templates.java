package dev.vivarium.cli;

import dev.vivarium.client.Project;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The files {@code vivarium new} writes, from the templates in the jar. */
final class Templates {
    private static final String ROOT = "templates/";

    /** The Rust SDK's files, copied from guests/http_guest into the jar at build time. */
    static final List<String> RUST_SDK =
            List.of(
                    "Cargo.toml",
                    "src/bump.rs",
                    "src/client.rs",
                    "src/dns.rs",
                    "src/guest_allocator.rs",
                    "src/hostcalls/mod.rs",
                    "src/hostcalls/raw.rs",
                    "src/hostcalls/types.rs",
                    "src/kvstore.rs",
                    "src/lib.rs",
                    "src/panic.rs",
                    "src/rand.rs",
                    "src/scaffolding.rs",
                    "src/time.rs",
                    "src/util.rs");

    private Templates() {}

    /** Project path to template resource, in the order they are written. */
    static Map<String, String> files(Project.Lang lang) {
        Map<String, String> f = new LinkedHashMap<>();
        switch (lang) {
            case WAT -> f.put("src/main.wat", "wat/main.wat");
            case C -> {
                f.put("src/main.c", "c/main.c");
                f.put("src/http_hostcalls.h", "c/http_hostcalls.h");
            }
            case RUST -> {
                f.put("Cargo.toml", "rust/Cargo.toml");
                f.put(".cargo/config.toml", "rust/cargo/config.toml");
                f.put("src/lib.rs", "rust/src/lib.rs");
                for (String s : RUST_SDK) {
                    f.put("http_guest/" + s, "rust/http_guest/" + s);
                }
            }
        }
        return f;
    }

    /** Writes a new project; {@code dir} must not exist or be empty. */
    static void write(Project p) throws IOException {
        Files.createDirectories(p.dir());
        Files.writeString(p.dir().resolve(Project.MANIFEST), p.manifestText());
        Files.writeString(p.dir().resolve(".gitignore"), "/target/\n");
        String greeting = "Hello from " + p.name() + "!\n";
        String log = p.name() + ": request";
        Map<String, String> vars =
                Map.of(
                        "{{name}}", p.name(),
                        "{{body_len}}", Integer.toString(greeting.length()),
                        "{{log_len}}", Integer.toString(log.length()));
        for (Map.Entry<String, String> e : files(p.lang()).entrySet()) {
            String text = resource(e.getValue());
            // the SDK and the header are copied as they are
            if (!e.getValue().startsWith("rust/http_guest/") && !e.getKey().endsWith(".h")) {
                for (Map.Entry<String, String> v : vars.entrySet()) {
                    text = text.replace(v.getKey(), v.getValue());
                }
            }
            Path target = p.dir().resolve(e.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, text);
        }
    }

    static String resource(String name) throws IOException {
        try (InputStream in = Templates.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IOException("template " + name + " is missing from the vivarium jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
