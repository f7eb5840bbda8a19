package dev.vivarium.cli;

import dev.vivarium.client.CliException;
import dev.vivarium.client.ExitCodes;
import dev.vivarium.client.Project;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code vivarium new NAME --lang rust|c|wat}. */
@Command(
        name = "new",
        mixinStandardHelpOptions = true,
        description = "Write a new guest project in directory NAME (builds offline).")
final class NewCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "Project and deployment name: [a-z][a-z0-9_-]*")
    String name;

    @Option(names = "--lang", required = true, description = "rust, c or wat", paramLabel = "LANG")
    String lang;

    @Option(names = "--route", description = "Where it answers (default /NAME/*).")
    String route;

    @Option(names = "--ttl", description = "Lifetime of an upload (default ${DEFAULT-VALUE}).")
    String ttl = "1h";

    @Override
    public Integer call() throws IOException {
        if (!Project.NAME.matcher(name).matches()) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "invalid NAME '"
                            + name
                            + "': use lower-case letters, digits, '_' or '-', starting with a"
                            + " letter (at most 64)");
        }
        Project.Lang l = Project.Lang.parse(lang, "--lang");
        Path dir = main.directory().resolve(name);
        if (Files.exists(dir) && !isEmptyDirectory(dir)) {
            throw new CliException(
                    ExitCodes.PROJECT, dir + " already exists; choose another NAME or remove it");
        }
        Project p = new Project(dir, name, l, route == null ? "/" + name + "/*" : route, ttl);
        Templates.write(p);
        PrintWriter out = spec.commandLine().getOut();
        out.println("created " + l.id() + " project " + name + " in " + dir);
        out.println("  cd " + name);
        out.println(
                "  vivarium dev       # run it on 127.0.0.1:8787, rebuilt and reloaded on save");
        out.println("  vivarium deploy    # upload it to $VIVARIUM_SERVER (--server, --token)");
        out.flush();
        return ExitCodes.OK;
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
