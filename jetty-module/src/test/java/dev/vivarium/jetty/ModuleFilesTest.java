package dev.vivarium.jetty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.SettingsDocs;
import dev.vivarium.core.config.VivariumSettings;
import dev.vivarium.core.testing.TestGuests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.xml.XmlConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jetty-home module files: {@code etc/vivarium.xml} applied by Jetty's own XmlConfiguration,
 * and the promise that every Vivarium setting is reachable as a {@code jetty.vivarium.*} property.
 */
class ModuleFilesTest {
    private static final Path CONFIG = Path.of("src/main/config");
    private static final Path XML = CONFIG.resolve("etc/vivarium.xml");
    private static final Path MOD = CONFIG.resolve("modules/vivarium.mod");
    private static final String REGENERATE =
            "; regenerate from the repository root: mvn -B -q -pl core compile && java -cp"
                    + " core/target/classes dev.vivarium.core.config.SettingsDocs";

    private static void configure(Server server, Map<String, String> properties) throws Exception {
        try (var resources = ResourceFactory.closeable()) {
            XmlConfiguration xml = new XmlConfiguration(resources.newResource(XML));
            xml.getProperties().putAll(properties);
            xml.configure(server);
        }
    }

    @Test
    void xmlInsertsTheHandlerWithPropertiesAsSettingsAndResolvesDirectoriesAgainstJettyBase(
            @TempDir Path base) throws Exception {
        Handler application = TestApplication.handler();
        Map<String, String> properties = new HashMap<>();
        properties.put("jetty.base", base.toString());
        properties.put("jetty.vivarium.routes", "/hello -> hello.wasm, /api/* -> api.wasm");
        properties.put("jetty.vivarium.guestDirectory", "my/guests");
        properties.put("jetty.vivarium.deadline", "2s");
        properties.put("jetty.vivarium.maxRequestBodySize", "64KB");
        properties.put("jetty.vivarium.kv.directory", "/var/lib/kv");
        Server server = new Server();
        server.setHandler(application);
        configure(server, properties);

        VivariumHandler handler = assertInstanceOf(VivariumHandler.class, server.getHandler());
        assertEquals(application, handler.getHandler(), "inserted in front of the handlers");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("routes", "/hello -> hello.wasm, /api/* -> api.wasm");
        expected.put("guestDirectory", base.resolve("my/guests").toString());
        expected.put("deadline", "2s");
        expected.put("maxRequestBodySize", "64KB");
        expected.put("kv.directory", "/var/lib/kv");
        assertEquals(expected, handler.getSettings(), "unset properties stay unset");
    }

    @Test
    void xmlLeavesEverySettingUnsetWhenNoPropertyIsGiven() throws Exception {
        Server server = new Server();
        configure(server, Map.of());

        VivariumHandler handler = assertInstanceOf(VivariumHandler.class, server.getHandler());
        assertTrue(handler.getSettings().isEmpty(), handler.getSettings().toString());
    }

    @Test
    void everyVivariumSettingIsBoundInTheXmlAndDocumentedInTheIniTemplate() throws Exception {
        String xml = Files.readString(XML, UTF_8);
        String mod = Files.readString(MOD, UTF_8);
        List<String> unbound = new ArrayList<>();
        List<String> undocumented = new ArrayList<>();
        for (String name : settingNames()) {
            if (!xml.contains("<Arg>" + name + "</Arg>")
                    || !xml.contains("<Property name=\"jetty.vivarium." + name + "\"/>")) {
                unbound.add(name);
            }
            if (!mod.contains("# jetty.vivarium." + name + "=")) {
                undocumented.add(name);
            }
        }
        assertEquals(List.of(), unbound, "settings etc/vivarium.xml does not bind" + REGENERATE);
        assertEquals(
                List.of(), undocumented, "settings the [ini-template] does not show" + REGENERATE);
    }

    @Test
    void theGeneratedPartsOfTheModuleFilesAreCurrent() throws Exception {
        assertEquals(
                SettingsDocs.iniTemplate(),
                SettingsDocs.generatedPart(
                        Files.readString(MOD, UTF_8), SettingsDocs.MOD_BEGIN, null),
                MOD + " is stale" + REGENERATE);
        assertEquals(
                SettingsDocs.jettyXml(),
                SettingsDocs.generatedPart(
                        Files.readString(XML, UTF_8), SettingsDocs.XML_BEGIN, SettingsDocs.XML_END),
                XML + " is stale" + REGENERATE);
        assertEquals(
                Map.of(
                        "guestDirectory",
                        VivariumHandler.DEFAULT_GUEST_DIRECTORY,
                        "kv.directory",
                        VivariumHandler.DEFAULT_KV_DIRECTORY),
                SettingsDocs.JETTY_DEFAULTS,
                "the module shows the handler's own defaults");
    }

    @Test
    @Timeout(60)
    void aPlaceholderInAModulePropertyIsResolvedWhenTheHandlerStarts(@TempDir Path base)
            throws Exception {
        System.setProperty("vivarium.test.routes", "/hello -> hello_raw.wat");
        Server server = new Server();
        try {
            configure(
                    server,
                    Map.of(
                            "jetty.base",
                            base.toString(),
                            "jetty.vivarium.routes",
                            "${sys.vivarium.test.routes}",
                            "jetty.vivarium.guestDirectory",
                            TestGuests.watFixtures().toString(),
                            "jetty.vivarium.kv.directory",
                            base.resolve("kv").toString()));
            VivariumHandler handler = assertInstanceOf(VivariumHandler.class, server.getHandler());
            assertEquals("${sys.vivarium.test.routes}", handler.getSetting("routes"));
            server.start();
            assertTrue(handler.getRoutes()[0].startsWith("/hello -> hello_raw.wat"));
            server.stop();
            handler.setSetting("routes", "${env:ROUTES}");
            Exception e = assertThrows(Exception.class, server::start);
            assertTrue(
                    e.getMessage().contains("write ${env.ROUTES} for the environment variable"),
                    e.getMessage());
        } finally {
            System.clearProperty("vivarium.test.routes");
            server.stop();
        }
    }

    @Test
    void modHasJettysSectionsAndAnExplainedCommentedDefaultForEachProperty() throws Exception {
        List<String> lines = Files.readAllLines(MOD, UTF_8);
        for (String section :
                List.of(
                        "[description]",
                        "[tags]",
                        "[depend]",
                        "[lib]",
                        "[xml]",
                        "[ini-template]")) {
            assertTrue(lines.contains(section), "missing " + section);
        }
        assertTrue(lines.contains("lib/vivarium/*.jar"));
        assertTrue(lines.contains("etc/vivarium.xml"));
        int template = lines.indexOf("[ini-template]");
        int properties = 0;
        for (int i = template + 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("# jetty.vivarium.")) {
                properties++;
                assertTrue(lines.get(i - 1).startsWith("## "), "no ## explanation: " + line);
            } else {
                // besides properties: explanations, and the commented JVM options
                assertTrue(
                        line.isEmpty() || line.startsWith("## ") || line.startsWith("# -"),
                        "unexpected template line: " + line);
            }
        }
        assertTrue(properties >= 8, "only " + properties + " properties in the template");
    }

    @Test
    void iniTemplateDefaultsAreValidSettings() throws Exception {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String line : Files.readAllLines(MOD, UTF_8)) {
            if (line.startsWith("# jetty.vivarium.")) {
                String property = line.substring("# jetty.vivarium.".length());
                int eq = property.indexOf('=');
                defaults.put(property.substring(0, eq), property.substring(eq + 1));
            }
        }
        VivariumOptions options = VivariumOptions.parse(defaults, Path.of("g"), Path.of("k"));
        assertFalse(options.routes().isEmpty());
    }

    /** Every declared setting. */
    static List<String> settingNames() {
        return VivariumSettings.names();
    }
}
