package dev.vivarium.spring.boot.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.vivarium.servlet.VivariumFilter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The starter in a real Boot app on a random port of 127.0.0.1: a guest, a KV write and an outbound
 * call through the auto-configured filter, and Vivarium in Actuator's health. The same class runs
 * in every module under spring-boot-tests, on that module's Boot and web server.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class VivariumBootIT {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static HttpServer upstream;
    private static ConfigurableApplicationContext app;
    private static Path kv;
    private static String base;
    private static String startLog;

    /** Writes to both streams. */
    private static final class TeeOutputStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeOutputStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }

    @BeforeAll
    static void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext(
                "/hello",
                exchange -> {
                    byte[] body = "hello from upstream".getBytes(UTF_8);
                    exchange.getResponseHeaders().add("content-type", "text/plain");
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                });
        upstream.start();
        kv = Files.createTempDirectory("vivarium-boot-kv");
        // Boot's console log (Logback writes to whatever System.out is at each line)
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(new TeeOutputStream(out, captured), true, UTF_8));
        try {
            app = run(properties());
        } finally {
            System.setOut(out);
        }
        startLog = captured.toString(UTF_8);
        base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
    }

    /** What a user writes in application.properties, with this test's paths and ports. */
    private static Map<String, Object> properties() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("server.port", "0");
        p.put("server.address", "127.0.0.1");
        p.put(
                "vivarium.guest-directory",
                Path.of(System.getProperty("vivarium.guests.dir"), "dist").toString());
        p.put(
                "vivarium.routes",
                "/hello -> hello.wasm, /count -> kv_counter.wasm, /fetch -> fetch.wasm");
        p.put("vivarium.kv.directory", kv.toString());
        p.put("vivarium.outbound.allow", upstreamBase());
        p.put("vivarium.deadline", "20s");
        p.put("management.endpoints.web.exposure.include", "health");
        p.put("management.endpoint.health.show-details", "always");
        p.put("management.endpoint.health.show-components", "always");
        return p;
    }

    private static ConfigurableApplicationContext run(Map<String, Object> properties) {
        return new SpringApplicationBuilder(BootApp.class)
                .properties(properties)
                .logStartupInfo(false)
                .run();
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            SpringApplication.exit(app);
        }
        if (upstream != null) {
            upstream.stop(0);
        }
    }

    private static String upstreamBase() {
        return "http://127.0.0.1:" + upstream.getAddress().getPort();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(
                HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void runsOnTheBootVersionAndWebServerOfThisModule() throws Exception {
        assertTrue(
                SpringBootVersion.getVersion()
                        .startsWith(System.getProperty("expected.bootVersion")),
                "Spring Boot " + SpringBootVersion.getVersion());
        // test-only reflection: the web server's types moved between Boot 3 and 4
        Object server = app.getClass().getMethod("getWebServer").invoke(app);
        assertEquals(System.getProperty("expected.webServer"), server.getClass().getSimpleName());
    }

    @Test
    void aRoutedRequestIsAnsweredByTheGuest() throws Exception {
        HttpResponse<String> r = get("/hello");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("Hello, world!", r.body());
    }

    @Test
    void otherRequestsReachSpringMvc() throws Exception {
        HttpResponse<String> r = get("/plain");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("from Spring MVC", r.body());
    }

    @Test
    void theKvCounterGoesUp() throws Exception {
        get("/count?reset");
        assertEquals("1\n", get("/count").body());
        assertEquals("2\n", get("/count").body());
    }

    @Test
    void aGuestsOutboundCallReachesTheAllowedUpstream() throws Exception {
        String url = URLEncoder.encode(upstreamBase() + "/hello", UTF_8);
        HttpResponse<String> r = get("/fetch?url=" + url);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("hello from upstream", r.body());
        assertEquals("200", r.headers().firstValue("x-upstream-status").orElse(null));
    }

    @Test
    void anOutboundCallOutsideTheAllowlistFails() throws Exception {
        String url = URLEncoder.encode("http://127.0.0.2:9/", UTF_8);
        HttpResponse<String> r = get("/fetch?url=" + url);
        assertEquals(502, r.statusCode(), r.body());
    }

    @Test
    void actuatorHealthShowsVivariumUp() throws Exception {
        HttpResponse<String> r = get("/actuator/health");
        assertEquals(200, r.statusCode(), r.body());
        String body = r.body();
        int at = body.indexOf("\"vivarium\"");
        assertTrue(at >= 0, "no vivarium component in " + body);
        String component = body.substring(at);
        // the component's own status is the first after its name: its details have none
        int status = component.indexOf("\"status\":");
        assertTrue(status >= 0 && component.startsWith("\"status\":\"UP\"", status), body);
        // core's Vivarium.health(): the checks health.path answers, each with its detail
        assertTrue(
                component.contains("\"engine\":{\"status\":\"UP\",\"detail\":\"started\"}"), body);
        assertTrue(
                component.contains(
                        "\"deployments\":{\"status\":\"UP\",\"detail\":\"3 deployments, 3 routes\"}"),
                body);
        assertTrue(
                component.contains("\"kv\":{\"status\":\"UP\",\"detail\":\"mapdb reachable"), body);
        assertTrue(component.contains("\"watchdog\":{\"status\":\"UP\""), body);
        assertTrue(component.contains("\"expiry\":{\"status\":\"UP\""), body);
        assertTrue(component.contains("hello.wasm"), body);
    }

    @Test
    void theStartupLineIsInBootsLog() {
        int at = startLog.indexOf("Vivarium started: routes [");
        assertTrue(at >= 0, startLog);
        String line = startLog.substring(at, startLog.indexOf('\n', at));
        for (String route :
                List.of(
                        "/hello -> hello.wasm",
                        "/count -> kv_counter.wasm",
                        "/fetch -> fetch.wasm")) {
            assertTrue(line.contains(route), line);
        }
        assertTrue(
                line.contains(
                        "]; 3 deployments (0 uploaded); admin API off (no admin.token); health at"
                                + " /__health; KV backend mapdb in "
                                + kv),
                line);
        assertEquals(
                startLog.indexOf("Vivarium started:"), startLog.lastIndexOf("Vivarium started:"));
    }

    @Test
    void theEngineCountsIntoBootsMeterRegistry() throws Exception {
        get("/hello");
        MeterRegistry boots = app.getBean(MeterRegistry.class);
        assertTrue(
                app.getBean(VivariumFilter.class).engine().meterRegistry() == boots,
                "the engine has a registry of its own");
        assertFalse(
                boots.getMeters().stream()
                        .filter(m -> m.getId().getName().startsWith("vivarium"))
                        .toList()
                        .isEmpty(),
                "no vivarium meter in Boot's registry");
    }

    @Test
    void aMisspelledVivariumPropertyStopsTheAppNamingIt() {
        Map<String, Object> p = properties();
        p.put("vivarium.dedline", "2s");
        Exception e = assertThrows(Exception.class, () -> run(p).close());
        String all = messages(e);
        assertTrue(all.contains("vivarium.dedline"), all);
        assertTrue(all.contains("vivarium.deadline"), all);
    }

    @Test
    void aBadSettingStopsTheAppNamingIt() {
        Map<String, Object> p = properties();
        p.put("vivarium.deadline", "soon");
        Exception e = assertThrows(Exception.class, () -> run(p).close());
        String all = messages(e);
        assertTrue(all.contains("'soon'") && all.contains("vivarium.deadline"), all);
    }

    private static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t).append('\n');
        }
        assertNotNull(e);
        return sb.toString();
    }
}
