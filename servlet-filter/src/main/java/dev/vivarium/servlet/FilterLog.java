package dev.vivarium.servlet;

import dev.vivarium.core.LogSink;
import jakarta.servlet.ServletContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * Where the filter's own lines (its startup line, its warnings) and the engine's guest output and
 * faults go: SLF4J when the webapp has an SLF4J provider, else the container's log ({@link
 * ServletContext#log}), once with a line on how to add a provider. Without one SLF4J drops every
 * line (its own two-line notice goes to stderr, which many containers do not keep), so a WAR that
 * lacks one would start and fail silently.
 */
final class FilterLog {
    /** The line the container's log gets once when the webapp has no SLF4J provider. */
    static final String NO_PROVIDER =
            "Vivarium: no SLF4J provider in this webapp, so its startup line, warnings, guest"
                    + " output and guest faults go to the container's log and its other lines are"
                    + " dropped; add a provider to WEB-INF/lib (e.g. org.slf4j:slf4j-simple, or"
                    + " ch.qos.logback:logback-classic) or let the container share its own";

    private static final Logger LOG = LoggerFactory.getLogger(VivariumFilter.class);

    private final ServletContext context;
    private final boolean slf4j;

    FilterLog(ServletContext context) {
        this.context = context;
        // SLF4J 2 falls back to its no-operation factory when it finds no provider (or only an
        // SLF4J 1.7 binding, which it ignores)
        this.slf4j = !(LoggerFactory.getILoggerFactory() instanceof NOPLoggerFactory);
        if (!slf4j) {
            context.log(NO_PROVIDER);
        }
    }

    /** Whether lines go to SLF4J (a provider was found). */
    boolean toSlf4j() {
        return slf4j;
    }

    void info(String line) {
        if (slf4j) {
            LOG.info(line);
        } else {
            context.log(line);
        }
    }

    void warn(String line) {
        if (slf4j) {
            LOG.warn(line);
        } else {
            context.log("WARNING: " + line);
        }
    }

    /**
     * Where the engine also sends guest output and faults: the container's log when there is no
     * SLF4J provider, else nowhere more (SLF4J has them).
     */
    LogSink engineSink() {
        if (slf4j) {
            return null;
        }
        return (deployment, stream, text) ->
                context.log("Vivarium " + stream + " [" + deployment + "] " + text);
    }

    void debug(String text) {
        LOG.debug(text);
    }
}
