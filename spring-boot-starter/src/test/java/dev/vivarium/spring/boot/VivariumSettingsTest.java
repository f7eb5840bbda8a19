package dev.vivarium.spring.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.ConfigurationException;
import dev.vivarium.core.config.Setting;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

class VivariumSettingsTest {
    private static final Path METADATA =
            Path.of("src/main/resources/META-INF/spring-configuration-metadata.json");

    /** The settings core reads, from its own refusal of an unknown one. */
    private static TreeSet<String> coreSettings() {
        Map<String, String> raw = new LinkedHashMap<>();
        raw.put("routes", "/x -> x.wasm");
        raw.put("no.such.setting", "1");
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> VivariumOptions.parse(raw, Path.of("."), Path.of(".")));
        String message = e.getMessage();
        String list = message.substring(message.indexOf('[') + 1, message.lastIndexOf(']'));
        return new TreeSet<>(Arrays.asList(list.split(",\\s*")));
    }

    @Test
    void theStarterBindsEverySettingCoreReadsAndNoOther() {
        assertEquals(
                coreSettings(),
                new TreeSet<>(VivariumSetting.names(VivariumSettings.ENGINE)),
                "VivariumSettings.ENGINE must list exactly the settings VivariumOptions reads");
    }

    @Test
    void theCommittedMetadataIsGeneratedFromTheSettings() throws IOException {
        String expected = SpringMetadata.json();
        if (Boolean.getBoolean("vivarium.metadata.write")) {
            Files.writeString(METADATA, expected);
        }
        String committed;
        try (InputStream in =
                getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            committed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(
                expected,
                committed,
                "META-INF/spring-configuration-metadata.json is out of date: run this test with"
                        + " -Dvivarium.metadata.write=true");
    }

    /**
     * Every setting of core's registry is in the committed metadata, with core's doc and default
     * (or the starter's own words for the two defaults Boot changes).
     */
    @Test
    @SuppressWarnings("unchecked")
    void theMetadataHasEveryCoreSettingWithItsDocAndDefault() throws IOException {
        String json = Files.readString(METADATA);
        List<Object> properties =
                (List<Object>) JsonParserFactory.getJsonParser().parseMap(json).get("properties");
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        for (Object o : properties) {
            Map<String, Object> p = (Map<String, Object>) o;
            byName.put((String) p.get("name"), p);
        }
        for (Setting<?> s : dev.vivarium.core.config.VivariumSettings.all()) {
            String property = VivariumSettings.PREFIX + "." + VivariumSetting.kebab(s.name());
            Map<String, Object> p = byName.get(property);
            assertNotNull(p, property + " (core's " + s.name() + ") is not in the metadata");
            String description = (String) p.get("description");
            assertTrue(
                    description.startsWith(VivariumSettings.sentence(s.doc())),
                    property + ": " + description + " is not core's doc: " + s.doc());
            Object shown = p.get("defaultValue");
            if (s.name().equals("guestDirectory") || s.name().equals("kv.directory")) {
                assertTrue(description.contains(" Default: "), description);
            } else if (s.defaultValue() != null) {
                // a list's default is shown as a list: ["/*"]
                Object value =
                        shown instanceof List<?> l ? String.join(", ", (List<String>) l) : shown;
                assertEquals(s.defaultValue(), String.valueOf(value), property + " default");
            } else {
                assertNull(shown, property + " has no fixed default");
                if (s.defaultText() != null) {
                    assertTrue(
                            description.endsWith("Default: " + s.defaultText() + "."), description);
                }
            }
        }
        for (String list : List.of("vivarium.routes", "vivarium.outbound.allow")) {
            assertEquals(
                    "java.util.List<java.lang.String>",
                    byName.get(list).get("type"),
                    list + " binds Spring lists");
        }
        assertEquals("java.lang.Boolean", byName.get("vivarium.health.enabled").get("type"));
    }

    @Test
    void propertyNamesAreTheInitParamNamesInKebabCase() {
        assertEquals("vivarium.kv.max-key-size", setting("kv.maxKeySize").property());
        assertEquals("vivarium.guest-directory", setting("guestDirectory").property());
        assertEquals("vivarium.admin.allow-from", setting("admin.allowFrom").property());
        assertEquals("vivarium.routes", setting("routes").property());
    }

    private static VivariumSetting setting(String name) {
        return VivariumSettings.ENGINE.stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static StandardEnvironment environment(Map<String, Object> properties) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("application", properties));
        return env;
    }

    @Test
    void relaxedNamesAndListsBecomeInitParams() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("vivarium.kv.maxKeySize", "2KB");
        p.put("vivarium.outbound.connect_timeout", "1s");
        p.put("vivarium.routes[0]", "/a -> a.wasm");
        p.put("vivarium.routes[1]", "/b -> b.wasm; deadline=2s");
        p.put("vivarium.outbound.allow", "http://127.0.0.1:1, http://127.0.0.1:2");
        p.put("vivarium.url-patterns", "/api/*");
        Map<String, String> params = VivariumSettings.initParameters(environment(p));
        assertEquals("2KB", params.get("kv.maxKeySize"));
        assertEquals("1s", params.get("outbound.connectTimeout"));
        assertEquals("/a -> a.wasm, /b -> b.wasm; deadline=2s", params.get("routes"));
        assertEquals("http://127.0.0.1:1, http://127.0.0.1:2", params.get("outbound.allow"));
        assertEquals(
                List.of("kv.maxKeySize", "routes", "outbound.allow", "outbound.connectTimeout")
                        .stream()
                        .sorted()
                        .toList(),
                params.keySet().stream().sorted().toList());
    }

    @Test
    void aKvBackendsOwnSettingsAreBoundToo() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("vivarium.kv.backend", "postgresql");
        p.put("vivarium.kv.jdbc.url", "jdbc:postgresql://127.0.0.1:1/kv");
        p.put("vivarium.kv.jdbc.pool-size", "3");
        Map<String, String> params = VivariumSettings.initParameters(environment(p));
        assertEquals("jdbc:postgresql://127.0.0.1:1/kv", params.get("kv.jdbc.url"));
        assertEquals("3", params.get("kv.jdbc.poolSize"));
    }

    @Test
    void anUnknownVivariumPropertyIsRefusedWithTheValidOnes() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                VivariumSettings.initParameters(
                                        environment(Map.of("vivarium.dedline", "2s"))));
        assertTrue(e.getMessage().contains("vivarium.dedline"), e.getMessage());
        assertTrue(e.getMessage().contains("vivarium.deadline"), e.getMessage());
    }

    @Test
    void aBadValueIsRefusedNamingTheSpringProperty() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () -> VivariumSettings.check(Map.of("kv.maxKeySize", "huge")));
        assertTrue(e.getMessage().contains("'huge'"), e.getMessage());
        assertTrue(e.getMessage().contains("vivarium.kv.max-key-size"), e.getMessage());
    }

    @Test
    void systemPropertiesUnderVivariumAreNoSettings() {
        // the build itself passes -Dvivarium.guests.dir to every test JVM
        StandardEnvironment env = environment(Map.of("vivarium.deadline", "2s"));
        env.getPropertySources()
                .addLast(
                        new MapPropertySource(
                                StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME,
                                Map.of("vivarium.guests.dir", "/x")));
        assertEquals(Map.of("deadline", "2s"), VivariumSettings.initParameters(env));
    }

    @Test
    void classpathGuestsAreCopiedOutWithTheirFolders() throws IOException {
        Path dir =
                GuestDirectory.resolve(
                        "classpath:test-guests/", new PathMatchingResourcePatternResolver());
        assertEquals("(module)", Files.readString(dir.resolve("a.wat")).trim());
        assertEquals("(module)", Files.readString(dir.resolve("sub/b.wat")).trim());
    }

    @Test
    void aClasspathFolderWithoutFilesIsRefusedNamingIt() {
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                GuestDirectory.resolve(
                                        "classpath:no-such-guests/",
                                        new PathMatchingResourcePatternResolver()));
        assertTrue(e.getMessage().contains("vivarium.guest-directory"), e.getMessage());
        assertTrue(e.getMessage().contains("no-such-guests"), e.getMessage());
    }

    @Test
    void aConfiguredDirectoryIsTakenAsIs(@TempDir Path dir) {
        assertEquals(
                dir,
                GuestDirectory.resolve(dir.toString(), new PathMatchingResourcePatternResolver()));
    }
}
