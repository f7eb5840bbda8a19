package dev.vivarium.cli;

import dev.vivarium.client.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vivarium rm ID}. */
@Command(
        name = "rm",
        mixinStandardHelpOptions = true,
        description = "Remove an uploaded deployment (and its KV store) from the server.")
final class RmCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ServerOptions server;

    @Parameters(paramLabel = "ID", description = "The deployment id.")
    String id;

    @Override
    public Integer call() {
        server.client().remove(id);
        spec.commandLine().getOut().println("removed " + id);
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
