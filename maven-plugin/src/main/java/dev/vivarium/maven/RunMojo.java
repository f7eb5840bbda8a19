package dev.vivarium.maven;

import dev.vivarium.cli.DevServer;
import dev.vivarium.client.Project;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Runs the guest project on a local server (an embedded Jetty with the Vivarium handler), rebuilt
 * and reloaded on every save, until Ctrl-C; as {@code vivarium dev} does and {@code jetty:run} does
 * for a web application. A build that fails is logged and the last good one keeps serving.
 *
 * <pre>{@code mvn vivarium:run -Dvivarium.port=8787}</pre>
 */
@Mojo(name = "run", threadSafe = true)
public final class RunMojo extends AbstractVivariumMojo {
    /** The address to listen on. */
    @Parameter(property = "vivarium.host", defaultValue = "127.0.0.1")
    String host;

    /** The port to listen on ({@code 0}: any free port; the log names it). */
    @Parameter(property = "vivarium.port", defaultValue = "8787")
    int port;

    @Override
    void run() throws MojoExecutionException {
        Project p = project();
        try (DevServer dev = new DevServer(p, host, port, log()).start()) {
            getLog().info("vivarium: serving " + p.name() + " at " + dev.url());
            getLog().info("vivarium: watching " + p.dir() + " (Ctrl-C to stop)");
            dev.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new MojoExecutionException("vivarium: the local server failed: " + e, e);
        }
    }
}
