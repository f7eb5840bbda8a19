package dev.vivarium.cli;

import dev.vivarium.client.AdminClient;
import dev.vivarium.client.Builder;
import dev.vivarium.client.ExitCodes;
import dev.vivarium.client.Project;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code vivarium deploy}. */
@Command(
        name = "deploy",
        mixinStandardHelpOptions = true,
        description =
                "Build, upload to the server's admin API, wait until it serves, print its URL.")
final class DeployCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;
    @Mixin ServerOptions server;

    @Option(names = "--ttl", description = "Lifetime on the server (default: vivarium.toml's).")
    String ttl;

    @Option(names = "--route", description = "Where it answers (default: vivarium.toml's).")
    String route;

    @Option(names = "--id", description = "Deployment id (default: the project's name).")
    String id;

    @Option(
            names = "--wait",
            description =
                    "How long to wait for the URL to serve, and with a shared deployment store"
                            + " for every live node to serve it (default ${DEFAULT-VALUE} s).")
    long waitSeconds = 30;

    @Option(
            names = "--bundle",
            description =
                    "Upload a bundle (vivarium.toml, the module, assets/) even without assets/"
                            + " (default: a bundle when the project has assets/).")
    boolean bundle;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Project p = Project.load(main.directory());
        AdminClient client = server.client();
        Builder.Result built = new Builder(err).build(p, false);
        byte[] module =
                bundle || BundleWriter.hasAssets(p)
                        ? BundleWriter.zip(p, built.output())
                        : Files.readAllBytes(built.output());
        String deployment = id == null ? p.name() : id;
        String r = route == null ? p.route() : route;
        Map<String, Object> info =
                client.upload(deployment, r, ttl == null ? p.ttl() : ttl, module, err);
        String url = client.server() + new Project(p.dir(), p.name(), p.lang(), r, "").urlPath();
        long waitStart = System.nanoTime();
        NodeWait.Done cluster = NodeWait.await(client, Duration.ofSeconds(waitSeconds));
        Duration left = Duration.ofSeconds(waitSeconds).minusNanos(System.nanoTime() - waitStart);
        int status = client.awaitServing(url, left.isNegative() ? Duration.ZERO : left);
        out.println(AdminClient.deployedLine(deployment, module.length, info));
        out.println(url + "  (answers " + status + ")");
        if (!cluster.nodes().isEmpty()) {
            out.println(
                    "served by every live node ("
                            + cluster.nodes().size()
                            + "): "
                            + String.join(", ", cluster.nodes()));
        }
        // a server with deployments.domain also names the deployment's own host name
        for (String extra : serverUrls(info)) {
            if (!extra.equals(url)) {
                out.println(extra);
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The {@code url} and {@code urls} members of the upload's answer, when it has them. */
    static List<String> serverUrls(Map<String, Object> info) {
        return AdminClient.urls(info);
    }
}
