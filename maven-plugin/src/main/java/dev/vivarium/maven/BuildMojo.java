package dev.vivarium.maven;

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
        build(project(), force);
    }
}
