package dev.vivarium.maven;

import dev.vivarium.client.AdminClient;
import dev.vivarium.client.CliException;
import dev.vivarium.client.ExitCodes;
import org.apache.maven.plugins.annotations.Component;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.settings.Server;
import org.apache.maven.settings.Settings;
import org.apache.maven.settings.building.SettingsProblem;
import org.apache.maven.settings.crypto.DefaultSettingsDecryptionRequest;
import org.apache.maven.settings.crypto.SettingsDecrypter;
import org.apache.maven.settings.crypto.SettingsDecryptionResult;

/**
 * The goals that talk to a server's admin API: where it is ({@code vivarium.url}, else {@code
 * VIVARIUM_SERVER}) and its token ({@code vivarium.token}, else the password of the {@code
 * <server>} with id {@code vivarium.serverId} in {@code settings.xml}, else {@code
 * VIVARIUM_TOKEN}), the way {@code wildfly:deploy} reads its credentials.
 */
abstract class AbstractAdminMojo extends AbstractVivariumMojo {
    static final String DEFAULT_SERVER_ID = "vivarium";

    /**
     * The server, with its context path if any (e.g. {@code https://edge.example.com}). Default:
     * the environment variable {@code VIVARIUM_SERVER}.
     */
    @Parameter(property = "vivarium.url")
    String url;

    /**
     * The server's {@code admin.token}. Better kept out of the POM: by default it is the password
     * of the {@code <server>} named by {@link #serverId} in {@code settings.xml} (encrypted
     * passwords work), else the environment variable {@code VIVARIUM_TOKEN}.
     */
    @Parameter(property = "vivarium.token")
    String token;

    /**
     * The id of the {@code <server>} in {@code settings.xml} whose {@code <password>} is the token.
     * When it is set to something else than {@code vivarium}, that server must exist.
     */
    @Parameter(property = "vivarium.serverId", defaultValue = DEFAULT_SERVER_ID)
    String serverId;

    /** The server's {@code admin.path}. */
    @Parameter(property = "vivarium.adminPath", defaultValue = "/_vivarium")
    String adminPath;

    /** The deployment id. Default: the {@code name} in {@code vivarium.toml}. */
    @Parameter(property = "vivarium.name")
    String name;

    @Parameter(defaultValue = "${settings}", readonly = true)
    Settings settings;

    @Component SettingsDecrypter decrypter;

    AdminClient client() {
        String server = blank(url) ? System.getenv("VIVARIUM_SERVER") : url;
        return new AdminClient(server, adminPath, token(), hints());
    }

    /** The ways to give each setting, for the client's messages. */
    private AdminClient.Hints hints() {
        return new AdminClient.Hints(
                "vivarium.url",
                "-Dvivarium.url=URL, <url> in the plugin's configuration, or VIVARIUM_SERVER",
                "-Dvivarium.token=TOKEN, the <password> of <server><id>"
                        + serverId
                        + "</id> in settings.xml, or VIVARIUM_TOKEN",
                "-Dvivarium.wait=SECONDS");
    }

    private String token() {
        if (!blank(token)) {
            return token;
        }
        Server s = settings == null ? null : settings.getServer(serverId);
        if (s == null) {
            if (!DEFAULT_SERVER_ID.equals(serverId)) {
                throw new CliException(
                        ExitCodes.UNAUTHORIZED,
                        "vivarium.serverId is '"
                                + serverId
                                + "', but settings.xml has no <server> with that id; add"
                                + " <server><id>"
                                + serverId
                                + "</id><password>TOKEN</password></server>");
            }
            return System.getenv("VIVARIUM_TOKEN");
        }
        if (decrypter != null) {
            SettingsDecryptionResult r = decrypter.decrypt(new DefaultSettingsDecryptionRequest(s));
            for (SettingsProblem p : r.getProblems()) {
                if (p.getSeverity() != SettingsProblem.Severity.WARNING) {
                    throw new CliException(
                            ExitCodes.UNAUTHORIZED,
                            "cannot decrypt the password of <server> '"
                                    + serverId
                                    + "' in settings.xml: "
                                    + p.getMessage());
                }
            }
            s = r.getServer();
        }
        if (blank(s.getPassword())) {
            throw new CliException(
                    ExitCodes.UNAUTHORIZED,
                    "<server> '"
                            + serverId
                            + "' in settings.xml has no <password>: set it to the server's"
                            + " admin.token");
        }
        return s.getPassword();
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
