package dev.vivarium.core;

/**
 * Somewhere besides SLF4J that a deployment's guest output and faults also go (see {@code
 * Vivarium.Builder#logSink}); called on the request's thread, so it must be quick.
 */
@FunctionalInterface
public interface LogSink {
    /**
     * @param deployment the deployment's id
     * @param stream {@code guest} (guest output, within the guest log budgets) or {@code fault}
     * @param text the line
     */
    void line(String deployment, String stream, String text);
}
