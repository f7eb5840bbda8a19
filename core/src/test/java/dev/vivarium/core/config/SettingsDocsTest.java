package dev.vivarium.core.config;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} lists every setting as {@link VivariumSettings} declares it. The
 * Jetty module files are checked by {@code ModuleFilesTest} in jetty-module.
 */
class SettingsDocsTest {
    /** Tests run in the module's directory. */
    private static final Path DOC = Path.of("..").resolve(SettingsDocs.DOC_FILE);

    private static final String REGENERATE =
            "; regenerate from the repository root: mvn -B -q -pl core compile && java -cp"
                    + " core/target/classes dev.vivarium.core.config.SettingsDocs";

    @Test
    void configurationDocHasTheTableOfEverySettingAsGenerated() throws Exception {
        String doc = Files.readString(DOC, UTF_8);
        assertEquals(
                SettingsDocs.markdown(),
                SettingsDocs.generatedPart(doc, SettingsDocs.DOC_BEGIN, SettingsDocs.DOC_END),
                DOC + " is stale" + REGENERATE);
        for (String name : VivariumSettings.names()) {
            assertTrue(doc.contains("| `" + name + "` |"), name);
        }
    }

    @Test
    void configurationDocSaysHowItIsGenerated() throws Exception {
        String doc = Files.readString(DOC, UTF_8);
        assertTrue(doc.contains("dev.vivarium.core.config.SettingsDocs"), "no regeneration note");
    }

    @Test
    void rewritingReplacesOnlyTheGeneratedPart() {
        String text =
                "intro\n" + SettingsDocs.DOC_BEGIN + "\nold\n" + SettingsDocs.DOC_END + "\nend\n";
        assertEquals(
                "intro\n" + SettingsDocs.DOC_BEGIN + "\nnew\n" + SettingsDocs.DOC_END + "\nend\n",
                SettingsDocs.between(text, SettingsDocs.DOC_BEGIN, SettingsDocs.DOC_END, "new\n"));
    }
}
