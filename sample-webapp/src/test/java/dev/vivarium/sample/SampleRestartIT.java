package dev.vivarium.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The README's promise for the sample site: KV data and uploads survive a restart. */
@Timeout(180)
class SampleRestartIT {
    @TempDir Path kv;

    @Test
    void kvDataAndUploadedDeploymentsComeBackAfterARestart() throws Exception {
        String first;
        try (SampleProcess site = SampleProcess.start(kv)) {
            first = site.get("/counter").body().trim();
            byte[] wasm = Files.readAllBytes(Path.of("../guests/dist/hello_c.wasm"));
            HttpResponse<String> created = site.upload("kept", "route=/kept/*&ttl=1h", wasm);
            assertEquals(201, created.statusCode(), created.body());
        }
        try (SampleProcess site = SampleProcess.start(kv)) {
            String second = site.get("/counter").body().trim();
            assertEquals(
                    Long.parseLong(first.replaceAll("\\D", "")) + 1,
                    Long.parseLong(second.replaceAll("\\D", "")),
                    first + " then " + second);
            HttpResponse<String> kept = site.get("/kept/x");
            assertEquals(200, kept.statusCode(), kept.body());
            assertTrue(kept.body().startsWith("Hello"), kept.body());
        }
    }
}
