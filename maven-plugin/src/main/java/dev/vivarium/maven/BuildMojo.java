package dev.vivarium.maven;

import dev.vivarium.client.Builder;
import dev.vivarium.client.Project;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Builds the guest project to {@code target/NAME.wasm}, as {@code vivarium build} does: Rust with
 * Debian's cargo (offline), C with clang-14 for wasm32-wasi, WAT inside the JVM. Nothing is rebuilt
 * when the output is newer than every source.
 *
 * <pre>{@code mvn vivarium:build}</pre>
 */
@Mojo(name = "build", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public final class BuildMojo extends AbstractVivariumMojo {
    /** Rebuilds even when the output is up to date. */
    @Parameter(property = "vivarium.force", defaultValue = "false")
    boolean force;

    @Override
    void run() throws MojoExecutionException {
        Project p = project();
        Builder.Result r = new Builder(log()).build(p, force);
        String rel = p.dir().relativize(r.output()).toString();
        if (r.upToDate()) {
            getLog().info("vivarium: " + rel + " is up to date");
            return;
        }
        try {
            getLog().info(
                            "vivarium: built "
                                    + rel
                                    + " ("
                                    + Files.size(r.output())
                                    + " bytes) in "
                                    + r.millis()
                                    + " ms");
        } catch (IOException e) {
            throw new MojoExecutionException("vivarium: cannot read " + r.output(), e);
        }
    }
}
