package dev.vivarium.maven;

import dev.vivarium.client.Builder;
import dev.vivarium.client.CliException;
import dev.vivarium.client.ExitCodes;
import dev.vivarium.client.Project;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.Log;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * What every goal shares: the guest project's directory (its {@code vivarium.toml}), {@code skip},
 * the build's output in Maven's log, and a {@link CliException} turned into a build failure with
 * its message.
 */
abstract class AbstractVivariumMojo extends AbstractMojo {
    /**
     * The guest project: a directory with a {@code vivarium.toml} ({@code name}, {@code lang},
     * {@code route}, {@code ttl}) and its sources, as {@code vivarium new} writes it.
     */
    @Parameter(property = "vivarium.directory", defaultValue = "${project.basedir}")
    File directory;

    /** Skips the goal. */
    @Parameter(property = "vivarium.skip", defaultValue = "false")
    boolean skip;

    @Override
    public final void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("vivarium: skipped (vivarium.skip)");
            return;
        }
        try {
            run();
        } catch (CliException e) {
            // the message says it all; Maven would append every cause's message to it
            getLog().debug(e);
            throw new MojoFailureException("vivarium: " + e.getMessage());
        }
    }

    /** The goal's work; a {@link CliException} fails the build with its message. */
    abstract void run() throws MojoExecutionException, MojoFailureException;

    /**
     * The project in {@link #directory} itself: unlike the CLI, no parent directory is searched, so
     * a module of a larger build never picks up its parent's guest.
     */
    Project project() {
        Path dir = directory.toPath().toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve(Project.MANIFEST))) {
            throw new CliException(
                    ExitCodes.PROJECT,
                    "no "
                            + Project.MANIFEST
                            + " in "
                            + dir
                            + ": a guest project needs one (name, lang, route, ttl); write it,"
                            + " create a project with `vivarium new NAME --lang rust|c|wat`, or"
                            + " point -Dvivarium.directory at one");
        }
        return Project.load(dir);
    }

    /** Builds {@code p} (unless it is up to date) and logs what was done. */
    Builder.Result build(Project p, boolean force) throws MojoExecutionException {
        Builder.Result r = new Builder(log()).build(p, force);
        try {
            getLog().info("vivarium: " + r.summary(p.dir()));
        } catch (IOException e) {
            throw new MojoExecutionException("vivarium: cannot read " + r.output(), e);
        }
        return r;
    }

    /** A writer whose lines go to Maven's log at info level (the compilers' output, progress). */
    PrintWriter log() {
        return new PrintWriter(new LogWriter(getLog()), true);
    }

    /** Splits what is written into lines, each an info line of the log. */
    private static final class LogWriter extends Writer {
        private final Log log;
        private final StringBuilder line = new StringBuilder();

        LogWriter(Log log) {
            this.log = log;
        }

        @Override
        public synchronized void write(char[] cbuf, int off, int len) {
            for (int i = off; i < off + len; i++) {
                char c = cbuf[i];
                if (c == '\n') {
                    emit();
                } else if (c != '\r') {
                    line.append(c);
                }
            }
        }

        private void emit() {
            log.info(line.toString());
            line.setLength(0);
        }

        @Override
        public synchronized void flush() {
            // a partial line waits for its end, so that a line is never split in two
        }

        @Override
        public synchronized void close() {
            if (line.length() > 0) {
                emit();
            }
        }
    }
}
