package dev.vivarium.maven;

import dev.vivarium.client.AdminClient;
import dev.vivarium.client.Builder;
import dev.vivarium.client.Project;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Builds the guest project (when it changed), uploads {@code target/NAME.wasm} to the server's
 * admin API, waits until its URL serves and prints that URL, as {@code vivarium deploy} does.
 *
 * <pre>{@code mvn vivarium:deploy -Dvivarium.url=https://edge.example.com -Dvivarium.ttl=1h}</pre>
 */
@Mojo(name = "deploy", threadSafe = true)
public final class DeployMojo extends AbstractAdminMojo {
    /** How long the deployment lives on the server. Default: the {@code ttl} of vivarium.toml. */
    @Parameter(property = "vivarium.ttl")
    String ttl;

    /** Where it answers (e.g. {@code /hello/*}). Default: the {@code route} of vivarium.toml. */
    @Parameter(property = "vivarium.route")
    String route;

    /** How long to wait, in seconds, for the deployment's URL to answer. */
    @Parameter(property = "vivarium.wait", defaultValue = "30")
    long wait;

    @Override
    void run() throws MojoExecutionException {
        Project p = project();
        AdminClient client = client();
        Builder.Result built = build(p, false);
        byte[] module;
        try {
            module = Files.readAllBytes(built.output());
        } catch (IOException e) {
            throw new MojoExecutionException("vivarium: cannot read " + built.output(), e);
        }
        String id = blank(name) ? p.name() : name;
        String r = blank(route) ? p.route() : route;
        Map<String, Object> info = client.upload(id, r, blank(ttl) ? p.ttl() : ttl, module, log());
        String served = client.server() + new Project(p.dir(), id, p.lang(), r, "").urlPath();
        int status = client.awaitServing(served, Duration.ofSeconds(wait));
        getLog().info("vivarium: " + AdminClient.deployedLine(id, module.length, info));
        getLog().info("vivarium: " + served + "  (answers " + status + ")");
        for (String extra : AdminClient.urls(info)) {
            if (!extra.equals(served)) {
                getLog().info("vivarium: " + extra);
            }
        }
    }
}
