package dev.vivarium.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vivarium.core.testing.TestGuests;
import dev.vivarium.testkit.StreamingScenarios;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless browser (Debian's chromium and chromedriver, driven by Selenium)
 * against a real Jetty with the handler and its admin API: the page loads without console errors,
 * signs in with the token, shows a deployment uploaded by the test, its request counter moves as
 * requests arrive, the log tail shows the line the guest printed (and the filter hides it), and a
 * delete from the page (confirmed) removes the deployment. Skipped, saying why, only where chromium
 * or chromedriver is not installed ({@code .ci/run} installs them).
 *
 * <p>Screenshots go to {@code target/dashboard-*.png}; with {@code
 * -Dvivarium.screenshots.write=true} also to {@code docs/images/}, which {@code docs/dashboard.md}
 * shows.
 */
@Timeout(180)
class DashboardBrowserTest {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final String TOKEN = "dashboard-test-token-0123456789";

    @TempDir Path kv;
    @TempDir Path profile;

    private Server server;
    private String base;
    private WebDriver browser;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        assumeTrue(
                Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER)),
                "chromium and chromedriver are not installed at "
                        + CHROMIUM
                        + " and "
                        + CHROMEDRIVER
                        + ": apt-get install chromium chromium-driver (as .ci/run does)");
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        VivariumHandler handler = new VivariumHandler();
        handler.setSettings(
                Map.of(
                        "admin.token",
                        TOKEN,
                        "kv.directory",
                        kv.toString(),
                        "guestDirectory",
                        TestGuests.root().toString(),
                        "routes",
                        "/hello -> wat/fixtures/hello_raw.wat; id=hello",
                        "poolSize",
                        "2",
                        "deployments.domain",
                        "edge.example.test"));
        server.setHandler(handler);
        server.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1440,1500",
                "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(Path.of(CHROMEDRIVER).toFile())
                        .usingAnyFreePort()
                        .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.stop();
        }
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", "Bearer " + TOKEN)
                        .method(
                                method,
                                body == null
                                        ? HttpRequest.BodyPublishers.noBody()
                                        : HttpRequest.BodyPublishers.ofString(body))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A wait that looks again when the page re-rendered its table (every second) meanwhile. */
    private WebDriverWait waiting() {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(20));
        w.ignoring(StaleElementReferenceException.class);
        return w;
    }

    private String requestsOf(String id) {
        return waiting()
                .until(
                        d ->
                                d.findElement(
                                                By.cssSelector(
                                                        "tr[data-id='" + id + "'] td.requests"))
                                        .getText());
    }

    /** Clicks what {@code css} finds, again if the table was re-rendered under it. */
    private void click(String css) {
        waiting()
                .until(
                        d -> {
                            d.findElement(By.cssSelector(css)).click();
                            return true;
                        });
    }

    @Test
    void showsAnUploadedDeploymentItsRequestsAndLogAndDeletesIt() throws Exception {
        HttpResponse<String> put =
                send(
                        "PUT",
                        "/_vivarium/deployments/talk?route=/talk&ttl=2h",
                        StreamingScenarios.TALKER);
        assertEquals(201, put.statusCode(), put.body());

        browser.get(base + "/_vivarium/dashboard/");
        assertEquals("Vivarium dashboard", browser.getTitle());
        browser.findElement(By.id("token")).sendKeys(TOKEN);
        browser.findElement(By.cssSelector("#login-form button[type=submit]")).click();

        waiting()
                .until(
                        ExpectedConditions.presenceOfElementLocated(
                                By.cssSelector("tr[data-id='talk']")));
        WebElement row = browser.findElement(By.cssSelector("tr[data-id='talk']"));
        assertTrue(row.getText().contains("/talk"), row.getText());
        assertEquals(
                "talk.edge.example.test",
                waiting()
                        .until(
                                d ->
                                        d.findElement(
                                                        By.cssSelector(
                                                                "tr[data-id='talk'] td.hostname"))
                                                .getText()),
                "its own host name under deployments.domain");
        assertTrue(
                row.getText().contains("1h 59m") || row.getText().contains("2h 0m"), row.getText());
        assertEquals("0", requestsOf("talk"));

        for (int i = 0; i < 5; i++) {
            assertEquals(200, send("GET", "/talk", null).statusCode());
        }
        waiting().until(d -> requestsOf("talk").equals("5"));

        new Select(browser.findElement(By.id("log-deployment"))).selectByValue("talk");
        waiting()
                .until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("log"), "hello from talk"));

        // some load, so that the charts have something to draw
        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load =
                new Thread(
                        () -> {
                            while (loading.get()) {
                                try {
                                    send("GET", "/talk", null);
                                    send("GET", "/hello", null);
                                    Thread.sleep(5);
                                } catch (Exception e) {
                                    return;
                                }
                            }
                        });
        new Select(browser.findElement(By.id("chart-deployment"))).selectByValue("talk");
        load.start();
        try {
            Thread.sleep(12_000);
            screenshot("dashboard");
        } finally {
            loading.set(false);
            load.join();
        }
        assertTrue(Long.parseLong(requestsOf("talk")) > 5, "the counter moved under load");

        browser.findElement(By.id("log-filter")).sendKeys("no such text");
        List<WebElement> shown = browser.findElements(By.cssSelector("#log li:not(.hidden)"));
        assertEquals(0, shown.size(), "the filter hides lines that do not match");
        browser.findElement(By.id("log-filter")).clear();
        browser.findElement(By.id("log-filter")).sendKeys("hello");
        assertTrue(
                !browser.findElements(By.cssSelector("#log li:not(.hidden)")).isEmpty(),
                "and shows those that do");
        screenshot("dashboard-log");

        // extend its TTL from the page: the prompt asks for the new one
        click("tr[data-id='talk'] button.extend");
        waiting().until(ExpectedConditions.alertIsPresent());
        browser.switchTo().alert().sendKeys("5h");
        browser.switchTo().alert().accept();
        waiting()
                .until(
                        d ->
                                d.findElement(By.cssSelector("tr[data-id='talk']"))
                                        .getText()
                                        .contains("4h 59m"));
        assertTrue(
                send("GET", "/_vivarium/deployments/talk", null).body().contains("\"expiresAt\":"));

        click("tr[data-id='talk'] button.delete");
        waiting().until(ExpectedConditions.alertIsPresent());
        assertTrue(browser.switchTo().alert().getText().contains("Delete deployment talk"));
        browser.switchTo().alert().accept();
        waiting()
                .until(
                        ExpectedConditions.invisibilityOfElementLocated(
                                By.cssSelector("tr[data-id='talk']")));
        assertEquals(404, send("GET", "/_vivarium/deployments/talk", null).statusCode());
        assertEquals(404, send("GET", "/talk", null).statusCode(), "no longer served");

        List<LogEntry> console = browser.manage().logs().get(LogType.BROWSER).getAll();
        List<LogEntry> errors =
                console.stream()
                        .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                        .toList();
        assertEquals(List.of(), errors, "console: " + console);
    }

    private void screenshot(String name) throws Exception {
        Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Path target = Path.of("target", name + ".png");
        Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
        if (Boolean.getBoolean("vivarium.screenshots.write")) {
            Path docs = Path.of("..", "docs", "images");
            Files.createDirectories(docs);
            Files.copy(shot, docs.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
