package dev.vivarium.cli;

import dev.vivarium.client.Builder;
import dev.vivarium.client.ExitCodes;
import dev.vivarium.client.Project;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code vivarium build}. */
@Command(
        name = "build",
        mixinStandardHelpOptions = true,
        description = "Build the project to target/NAME.wasm (skipped when it is up to date).")
final class BuildCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Option(names = "--force", description = "Rebuild even when the output is up to date.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Project p = Project.load(main.directory());
        Builder.Result r = new Builder(spec.commandLine().getErr()).build(p, force);
        out.println(r.summary(p.dir()));
        out.flush();
        return ExitCodes.OK;
    }
}
