package dev.vivarium.maven;

import org.apache.maven.plugins.annotations.Mojo;

/**
 * Removes the deployment from the server (its id: {@code vivarium.name}, else the {@code name} of
 * vivarium.toml), as {@code vivarium rm} does.
 *
 * <pre>{@code mvn vivarium:undeploy -Dvivarium.url=https://edge.example.com}</pre>
 */
@Mojo(name = "undeploy", threadSafe = true)
public final class UndeployMojo extends AbstractAdminMojo {
    @Override
    void run() {
        String id = blank(name) ? project().name() : name;
        client().remove(id);
        getLog().info("vivarium: removed " + id);
    }
}
