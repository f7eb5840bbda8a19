package dev.vivarium.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What {@code vivarium new} copies stays in step with guests/. */
class TemplatesTest {
    private static final Path GUESTS = Path.of(System.getProperty("vivarium.guests.dir"));

    @Test
    void theRustSdkListNamesEveryFileOfGuestsHttpGuest() throws IOException {
        Path sdk = GUESTS.resolve("http_guest");
        List<String> files;
        try (Stream<Path> s = Files.walk(sdk)) {
            files =
                    s.filter(Files::isRegularFile)
                            .map(f -> sdk.relativize(f).toString())
                            .sorted()
                            .toList();
        }
        assertEquals(files, Templates.RUST_SDK.stream().sorted().toList());
    }

    @Test
    void theCHeaderIsGuestsOwn() throws IOException {
        assertEquals(
                Files.readString(GUESTS.resolve("c/http_hostcalls.h")),
                Templates.resource("c/http_hostcalls.h"));
    }
}
