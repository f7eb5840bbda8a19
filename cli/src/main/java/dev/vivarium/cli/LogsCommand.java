package dev.vivarium.cli;

import dev.vivarium.client.ExitCodes;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vivarium logs ID [--follow]}: the guest's debug output and errors, read as Server-Sent
 * Events from {@code GET {admin.path}/deployments/ID/logs[?follow=1]}. Each event's data is one
 * line; events of type {@code error} go to standard error.
 */
@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        description = "Print a deployment's log (its debug output and errors); --follow streams.")
final class LogsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ServerOptions server;

    @Parameters(paramLabel = "ID", description = "The deployment id.")
    String id;

    @Option(
            names = {"-f", "--follow"},
            description = "Keep printing new lines until interrupted.")
    boolean follow;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        server.client()
                .logs(
                        id,
                        follow,
                        e -> {
                            PrintWriter w = e.type().equals("error") ? err : out;
                            w.println(e.data());
                            w.flush();
                        });
        return ExitCodes.OK;
    }
}
