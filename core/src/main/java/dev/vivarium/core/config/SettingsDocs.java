package dev.vivarium.core.config;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Renders the files that list every setting from {@link VivariumSettings}, and rewrites their
 * generated parts: {@code docs/configuration.md} (the table between {@link #DOC_BEGIN} and {@link
 * #DOC_END}), the Jetty module's {@code modules/vivarium.mod} (the {@code [ini-template]} after
 * {@link #MOD_BEGIN}) and {@code etc/vivarium.xml} (between {@link #XML_BEGIN} and {@link
 * #XML_END}). Tests compare the files with the rendering; to regenerate, from the repository root:
 *
 * <pre>{@code
 * mvn -B -q -pl core compile && java -cp core/target/classes dev.vivarium.core.config.SettingsDocs
 * }</pre>
 */
public final class SettingsDocs {
    public static final String DOC_BEGIN =
            "<!-- settings:begin (generated from VivariumSettings by SettingsDocs; do not edit) -->";
    public static final String DOC_END = "<!-- settings:end -->";
    public static final String MOD_BEGIN =
            "## Vivarium settings (each is described in docs/configuration.md of the project):";
    public static final String XML_BEGIN =
            "<!-- settings: generated from VivariumSettings by SettingsDocs; do not edit -->";
    public static final String XML_END = "<!-- end of generated settings -->";

    /** Where the files are, relative to the repository root. */
    public static final String DOC_FILE = "docs/configuration.md";

    public static final String MOD_FILE = "jetty-module/src/main/config/modules/vivarium.mod";
    public static final String XML_FILE = "jetty-module/src/main/config/etc/vivarium.xml";

    /**
     * The values the Jetty module shows for settings whose default is the adapter's (relative to
     * {@code jetty.base}, as {@code VivariumHandler} resolves them).
     */
    public static final Map<String, String> JETTY_DEFAULTS =
            Map.of("guestDirectory", "vivarium/guests", "kv.directory", "vivarium/kv");

    private SettingsDocs() {}

    /** Rewrites the generated parts of the three files under {@code args[0]} (default: "."). */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".");
        rewrite(root.resolve(DOC_FILE), text -> between(text, DOC_BEGIN, DOC_END, markdown()));
        rewrite(root.resolve(MOD_FILE), text -> after(text, MOD_BEGIN, iniTemplate()));
        rewrite(root.resolve(XML_FILE), text -> between(text, XML_BEGIN, XML_END, jettyXml()));
    }

    private interface Edit {
        String apply(String text);
    }

    private static void rewrite(Path file, Edit edit) throws IOException {
        String before = Files.readString(file, UTF_8);
        String after = edit.apply(before);
        if (!after.equals(before)) {
            Files.writeString(file, after, UTF_8);
            System.out.println("rewrote " + file);
        } else {
            System.out.println("up to date: " + file);
        }
    }

    /** The markdown table of every setting: name, default, what is valid, meaning. */
    public static String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("| setting | default | value | meaning |\n");
        out.append("|---|---|---|---|\n");
        for (Setting<?> s : VivariumSettings.all()) {
            String valid = s.kind().valid() + (s.unit() == null ? "" : ", in " + s.unit());
            String defaultValue =
                    s.defaultValue() == null ? null : "`" + cell(s.defaultValue()) + "`";
            String defaultText = s.defaultText() == null ? null : cell(s.defaultText());
            out.append("| `")
                    .append(s.name())
                    .append("` | ")
                    .append(
                            defaultValue == null
                                    ? (defaultText == null ? "(none)" : defaultText)
                                    : defaultValue + (defaultText == null ? "" : " " + defaultText))
                    .append(" | ")
                    .append(cell(valid))
                    .append(" | ")
                    .append(cell(s.doc()))
                    .append(" |\n");
        }
        return out.toString();
    }

    /**
     * The settings part of the Jetty module's {@code [ini-template]}: for each setting a {@code ##}
     * line and the property, commented out, with its default (or an example).
     */
    public static String iniTemplate() {
        StringBuilder out = new StringBuilder();
        for (Setting<?> s : VivariumSettings.all()) {
            String shown = JETTY_DEFAULTS.get(s.name());
            String note = "";
            if (shown == null && s.example() != null) {
                shown = s.example();
                note = " Default: " + s.defaultForDocs() + ".";
            } else if (shown == null && s.defaultValue() != null) {
                shown = s.defaultValue();
            } else if (shown == null) {
                shown = "";
                if (s.defaultText() != null) {
                    note = " Default: " + s.defaultText() + ".";
                }
            }
            String relative = s.kind().isPath() ? " Relative to jetty.base." : "";
            String kind = s.kind().name();
            if (kind.equals("text") || kind.equals("list") || kind.equals("choice")) {
                relative = " Value: " + s.kind().valid() + "." + relative;
            }
            out.append("\n## ")
                    .append(sentence(s.doc()))
                    .append(relative)
                    .append(note)
                    .append("\n# jetty.vivarium.")
                    .append(s.name())
                    .append('=')
                    .append(shown)
                    .append('\n');
        }
        return out.toString();
    }

    /** The handler's {@code setSetting} calls of {@code etc/vivarium.xml}, one per setting. */
    public static String jettyXml() {
        String i = "        ";
        StringBuilder out = new StringBuilder();
        for (Setting<?> s : VivariumSettings.all()) {
            String property = "<Property name=\"jetty.vivarium." + s.name() + "\"/>";
            out.append(i).append("<Call name=\"setSetting\">\n");
            out.append(i).append("  <Arg>").append(s.name()).append("</Arg>\n");
            if (s.kind().isPath()) {
                out.append(i).append("  <Arg>\n");
                out.append(i)
                        .append("    <Call name=\"resolvePath\"")
                        .append(" class=\"org.eclipse.jetty.xml.XmlConfiguration\">\n");
                out.append(i).append("      <Arg><Property name=\"jetty.base\"/></Arg>\n");
                out.append(i).append("      <Arg>").append(property).append("</Arg>\n");
                out.append(i).append("    </Call>\n");
                out.append(i).append("  </Arg>\n");
            } else {
                out.append(i).append("  <Arg>").append(property).append("</Arg>\n");
            }
            out.append(i).append("</Call>\n");
        }
        return out.toString();
    }

    /**
     * {@code text} with the lines between the line {@code begin} and the line {@code end} replaced
     * by {@code block}.
     *
     * @throws IllegalArgumentException if a marker line is missing
     */
    public static String between(String text, String begin, String end, String block) {
        int b = markerLine(text, begin);
        int e = markerLine(text.substring(b), end.strip()) + b;
        int blockStart = text.indexOf('\n', b) + 1;
        int endLineStart = text.lastIndexOf('\n', e) + 1;
        return text.substring(0, blockStart) + block + text.substring(endLineStart);
    }

    /** {@code text} up to and including the line {@code begin}, then {@code block}. */
    public static String after(String text, String begin, String block) {
        int b = markerLine(text, begin);
        int blockStart = text.indexOf('\n', b) + 1;
        return text.substring(0, blockStart) + block;
    }

    /** The part of {@code text} between the marker lines (what {@link #between} replaces). */
    public static String generatedPart(String text, String begin, String end) {
        int b = markerLine(text, begin);
        int blockStart = text.indexOf('\n', b) + 1;
        if (end == null) {
            return text.substring(blockStart);
        }
        int e = markerLine(text.substring(b), end.strip()) + b;
        return text.substring(blockStart, text.lastIndexOf('\n', e) + 1);
    }

    private static int markerLine(String text, String marker) {
        int at = text.indexOf(marker.strip());
        if (at < 0) {
            throw new IllegalArgumentException("no line '" + marker.strip() + "'");
        }
        return at;
    }

    private static String sentence(String doc) {
        String s = doc.substring(0, 1).toUpperCase(Locale.ROOT) + doc.substring(1);
        return s.endsWith(".") ? s : s + ".";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
