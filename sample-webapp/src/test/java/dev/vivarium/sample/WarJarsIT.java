package dev.vivarium.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/**
 * What lets the launcher skip Jetty's scan of {@code WEB-INF/lib} ({@link Launcher#NO_JARS}): no
 * jar of the built WAR has anything that scan would find. A dependency that brings one fails here,
 * naming it, rather than be silently ignored by the sample site.
 */
class WarJarsIT {
    @Test
    void noJarInTheWarHasWebFragmentsTldsResourcesOrContainerInitializers() throws IOException {
        Path war = Path.of("target/vivarium-sample-webapp.war");
        assertTrue(Files.exists(war), "run after 'package': " + war.toAbsolutePath());
        List<String> found = new ArrayList<>();
        int jars = 0;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(war))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().startsWith("WEB-INF/lib/") && e.getName().endsWith(".jar")) {
                    jars++;
                    byte[] jar = in.readAllBytes();
                    for (String name : scanned(new ByteArrayInputStream(jar))) {
                        found.add(e.getName() + "!/" + name);
                    }
                }
            }
        }
        assertTrue(jars > 10, jars + " jars: not the sample's WAR?");
        assertEquals(
                List.of(),
                found,
                "Jetty would find these in WEB-INF/lib: remove Launcher.NO_JARS (the scan) or the"
                        + " dependency");
    }

    /** The entries of a jar that Jetty's MetaInfConfiguration and its initializer scan look for. */
    private static List<String> scanned(InputStream jar) throws IOException {
        List<String> out = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(jar)) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                String n = e.getName();
                if (n.startsWith("META-INF/resources/")
                        || n.equals("META-INF/web-fragment.xml")
                        || (n.startsWith("META-INF/") && n.endsWith(".tld"))
                        || n.equals(
                                "META-INF/services/jakarta.servlet.ServletContainerInitializer")) {
                    out.add(n);
                }
            }
        }
        return out;
    }
}
