package dev.vivarium.cli;

import dev.vivarium.client.CliException;
import dev.vivarium.client.ExitCodes;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code vivarium} command: write a guest project, build it, run it locally with reload on
 * save, and deploy it to a server's admin API.
 *
 * <pre>{@code
 * vivarium new hello --lang wat
 * cd hello && vivarium dev          # http://127.0.0.1:8787/hello/ , rebuilt on every save
 * vivarium deploy --server https://edge.example.com --token $TOKEN
 * }</pre>
 */
@Command(
        name = "vivarium",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "WebAssembly edge functions: write, build, run locally, deploy.",
        subcommands = {
            NewCommand.class,
            BuildCommand.class,
            DevCommand.class,
            DeployCommand.class,
            ListCommand.class,
            RmCommand.class,
            LogsCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:unexpected error",
            "2:bad command line",
            "3:project missing or wrong (vivarium.toml)",
            "4:build failed",
            "5:toolchain not installed",
            "6:server unreachable",
            "7:server refused the request",
            "8:bad or missing token (401/403)",
            "9:deployed, but its URL did not serve in time"
        })
public final class Main {
    @Option(
            names = {"-C", "--directory"},
            description = "Run as if started in DIR (default: the current directory).",
            paramLabel = "DIR",
            scope = CommandLine.ScopeType.INHERIT)
    Path directory = Path.of("");

    @Option(
            names = "--verbose",
            description = "Print stack traces of unexpected errors.",
            scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    Path directory() {
        return directory.toAbsolutePath().normalize();
    }

    /** A command line with Vivarium's error handling, for {@code main} and tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    if (e instanceof CliException c) {
                        commandLine.getErr().println("vivarium: " + c.getMessage());
                        return c.exitCode();
                    }
                    commandLine.getErr().println("vivarium: unexpected error: " + e);
                    Main main =
                            commandLine.getCommandSpec().root().userObject() instanceof Main m
                                    ? m
                                    : null;
                    if (main != null && main.verbose) {
                        e.printStackTrace(commandLine.getErr());
                    }
                    return ExitCodes.INTERNAL;
                });
        return cl;
    }

    public static void main(String[] args) {
        // the guest's log lines, not Jetty's start-up chatter
        System.setProperty(
                "org.slf4j.simpleLogger.log.org.eclipse.jetty",
                System.getProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn"));
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"vivarium " + (v == null ? "(development build)" : v)};
        }
    }
}
