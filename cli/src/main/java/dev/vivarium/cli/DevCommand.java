package dev.vivarium.cli;

import dev.vivarium.client.ExitCodes;
import dev.vivarium.client.Project;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code vivarium dev}. */
@Command(
        name = "dev",
        mixinStandardHelpOptions = true,
        description =
                "Run the project on a local server (127.0.0.1), rebuilt and reloaded on every save.")
final class DevCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Option(names = "--port", description = "Port to listen on (default ${DEFAULT-VALUE}; 0: any).")
    int port = 8787;

    @Option(names = "--host", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Project p = Project.load(main.directory());
        try (DevServer dev = new DevServer(p, host, port, spec.commandLine().getErr()).start()) {
            Runtime.getRuntime()
                    .addShutdownHook(
                            new Thread(
                                    () -> {
                                        try {
                                            dev.close();
                                        } catch (Exception e) {
                                            // exiting anyway
                                        }
                                    }));
            out.println("serving " + p.name() + " at " + dev.url());
            out.println("watching " + p.dir() + " (Ctrl-C to stop)");
            out.flush();
            dev.join();
        }
        return ExitCodes.OK;
    }
}
