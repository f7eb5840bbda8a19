package dev.vivarium.spring.boot;

import dev.vivarium.core.config.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.ResourcePatternResolver;

/**
 * Where the engine finds guest files in a Boot app. Guests are loaded from files, so guests on the
 * class path (inside the Boot jar, say) are copied to a temp directory first.
 */
final class GuestDirectory {
    static final String CLASSPATH = "classpath:";
    static final String DEFAULT_CLASSPATH = "classpath:guests/";
    static final Path DEFAULT_DIRECTORY = Path.of("guests");

    private GuestDirectory() {}

    /**
     * {@code configured} as a directory, or the copy of a {@code classpath:} location; when not
     * configured, {@code ./guests} if it is a directory, else {@code classpath:guests/} if it has
     * any file, else {@code ./guests} (and the engine names the missing guest).
     */
    static Path resolve(String configured, ResourcePatternResolver resources) {
        if (configured != null && !configured.isBlank()) {
            String c = configured.trim();
            return c.startsWith(CLASSPATH) ? copy(c, resources, true) : Path.of(c);
        }
        if (Files.isDirectory(DEFAULT_DIRECTORY)) {
            return DEFAULT_DIRECTORY.toAbsolutePath();
        }
        Path copied = copy(DEFAULT_CLASSPATH, resources, false);
        return copied != null ? copied : DEFAULT_DIRECTORY.toAbsolutePath();
    }

    /** Copies every file below the class path location; null if there is none (and !required). */
    private static Path copy(String location, ResourcePatternResolver resources, boolean required) {
        String folder = location.substring(CLASSPATH.length()).replaceAll("^/+|/+$", "");
        String pattern = "classpath*:" + (folder.isEmpty() ? "" : folder + "/") + "**";
        try {
            Path target = null;
            for (Resource r : resources.getResources(pattern)) {
                String relative = relative(r, folder);
                if (relative == null || relative.isEmpty() || relative.endsWith("/")) {
                    continue; // a directory entry
                }
                if (!r.isReadable()) {
                    continue;
                }
                if (target == null) {
                    target = Files.createTempDirectory("vivarium-guests");
                    target.toFile().deleteOnExit();
                }
                Path file = target.resolve(relative).normalize();
                if (!file.startsWith(target)) {
                    continue;
                }
                Files.createDirectories(file.getParent());
                try (InputStream in = r.getInputStream()) {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
                file.toFile().deleteOnExit();
            }
            if (target == null && required) {
                throw new ConfigurationException(
                        "invalid value '"
                                + location
                                + "' for Vivarium setting 'guestDirectory' (vivarium.guest-directory):"
                                + " no file on the class path under '"
                                + folder
                                + "/'; give a directory, or classpath:FOLDER/ with the guests in"
                                + " src/main/resources/FOLDER/");
            }
            return target;
        } catch (IOException e) {
            throw new ConfigurationException(
                    "cannot copy the guests under " + location + " to a temp directory: " + e, e);
        }
    }

    /** The resource's path below {@code folder}, from its URL (file: or jar:), or null. */
    private static String relative(Resource r, String folder) throws IOException {
        String url = r.getURL().toString();
        String marker = folder.isEmpty() ? null : "/" + folder + "/";
        int at = marker == null ? -1 : url.lastIndexOf(marker);
        if (at < 0) {
            return null;
        }
        return url.substring(at + marker.length());
    }
}
