package dev.vivarium.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Smoke test of the README's run command: starts {@code java -jar target/vivarium-sample.jar} as
 * its own process and checks the site's pages and every example guest through HTTP.
 */
@Timeout(120)
class SampleSiteIT {
    private static SampleProcess site;

    @BeforeAll
    static void launch() throws Exception {
        site = SampleProcess.start(Files.createTempDirectory("sample-kv"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (site != null) {
            site.close();
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return site.get(path);
    }

    @Test
    void aDeploymentUploadedThroughTheAdminApiAnswersOnItsRoute() throws Exception {
        byte[] wasm = Files.readAllBytes(Path.of("../guests/dist/hello_c.wasm"));
        HttpResponse<String> created = site.upload("try", "route=/try/*&ttl=10m", wasm);
        assertEquals(201, created.statusCode(), created.body());
        HttpResponse<String> r = get("/try/anything");
        assertEquals(200, r.statusCode());
        assertTrue(r.body().startsWith("Hello"), r.body());
        assertEquals(401, get("/_vivarium/deployments").statusCode(), "no token, no admin");
    }

    @Test
    void helloIsAnsweredByTheRustGuest() throws Exception {
        HttpResponse<String> r = get("/hello");
        assertEquals(200, r.statusCode());
        assertEquals("Hello, world!", r.body());
    }

    @Test
    void theSitesOwnPagesAreUntouched() throws Exception {
        assertTrue(get("/").body().contains("Vivarium sample site"));
        assertEquals("Hello, world!", get("/plain").body());
    }

    @Test
    void everyExampleAnswers() throws Exception {
        assertTrue(get("/echo/a/b?x=1").body().contains("/echo/a/b?x=1"));
        String first = get("/counter").body().trim();
        String second = get("/counter").body().trim();
        assertEquals(
                Long.parseLong(first) + 1,
                Long.parseLong(second.replaceAll("\\D", "")),
                first + " then " + second);
        HttpResponse<String> fetched =
                get("/fetch?url=http://127.0.0.1:" + site.port + "/api/fast");
        assertEquals(200, fetched.statusCode(), fetched.body());
        assertEquals("fast", fetched.body());
        HttpResponse<String> fan =
                get(
                        "/fanout?url=http://127.0.0.1:"
                                + site.port
                                + "/api/slow?ms=400&url=http://127.0.0.1:"
                                + site.port
                                + "/api/fast");
        assertEquals(200, fan.statusCode(), fan.body());
        assertTrue(fan.body().indexOf("/api/fast") < fan.body().indexOf("/api/slow"), fan.body());
        assertEquals(200, get("/time").statusCode());
        assertEquals(200, get("/c/hello").statusCode());
        assertEquals("Hello, world!", get("/wat/hello").body());
    }

    /**
     * Issue 18 item 3: {@code /fetch?url=} once let an anonymous client nest the site 150 deep
     * through itself. It now reaches only the site's {@code /api/*} and {@code /plain}.
     */
    @Test
    void theFetchExampleIsNoRelay() throws Exception {
        String self = "http://127.0.0.1:" + site.port;
        assertEquals("Hello, world!", get("/fetch?url=" + self + "/plain").body());
        String nested =
                java.net.URLEncoder.encode(
                        self + "/fetch?url=" + self + "/api/fast",
                        java.nio.charset.StandardCharsets.UTF_8);
        HttpResponse<String> itself = get("/fetch?url=" + nested);
        assertEquals(502, itself.statusCode(), itself.body());
        HttpResponse<String> around = get("/fetch?url=" + self + "/api/../fetch");
        assertEquals(502, around.statusCode(), around.body());
        HttpResponse<String> elsewhere = get("/fetch?url=http://127.0.0.2:" + site.port + "/");
        assertEquals(502, elsewhere.statusCode(), elsewhere.body());
    }

    @Test
    void theAbTestKeepsAVisitorOnTheirVariant() throws Exception {
        HttpResponse<String> first = get("/ab");
        assertEquals(200, first.statusCode());
        String variant = first.headers().firstValue("x-ab-variant").orElseThrow();
        String cookie = first.headers().firstValue("set-cookie").orElseThrow();
        assertTrue(cookie.startsWith("ab=" + variant + ";"), cookie);
        HttpResponse<String> again =
                SampleProcess.send(
                        java.net.http.HttpRequest.newBuilder(site.uri("/ab"))
                                .header("Cookie", "ab=" + variant));
        assertEquals(variant, again.headers().firstValue("x-ab-variant").orElseThrow());
        assertTrue(again.headers().firstValue("set-cookie").isEmpty(), "already assigned");
        assertTrue(again.body().startsWith("variant " + variant + ": "), again.body());
    }

    @Test
    void theAuthGateLetsOnlyTheTokenThroughToTheSite() throws Exception {
        HttpResponse<String> denied = get("/gate/fast");
        assertEquals(401, denied.statusCode());
        assertEquals(
                "Bearer realm=\"gate\"",
                denied.headers().firstValue("www-authenticate").orElseThrow());
        HttpResponse<String> through =
                SampleProcess.send(
                        java.net.http.HttpRequest.newBuilder(site.uri("/gate/slow?ms=10"))
                                .header("Authorization", "Bearer let-me-in"));
        assertEquals(200, through.statusCode(), through.body());
        assertEquals("slow 10ms", through.body(), "answered by the site's own servlet");
    }

    @Test
    void aPanickingGuestGives500AndTheSiteGoesOn() throws Exception {
        HttpResponse<String> r = get("/panic");
        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("boom: this guest panics on purpose"), r.body());
        assertEquals("Hello, world!", get("/hello").body());
    }
}
