package dev.vivarium.cli;

import dev.vivarium.client.ExitCodes;
import dev.vivarium.client.MiniJson;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vivarium list}. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = "List the server's deployments, configured and uploaded.")
final class ListCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ServerOptions server;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Map<String, Object>> list = server.client().list();
        String format = "%-24s %-10s %-26s %10s  %s  %s%n";
        out.printf(format, "ID", "KIND", "EXPIRES", "BYTES", "ROUTE", "URL");
        for (Map<String, Object> d : list) {
            boolean uploaded = Boolean.TRUE.equals(d.get("uploaded"));
            String expires = MiniJson.string(d, "expiresAt");
            out.printf(
                    format,
                    MiniJson.string(d, "id"),
                    uploaded ? "uploaded" : "configured",
                    expires == null ? "-" : expires,
                    MiniJson.string(d, "moduleBytes"),
                    MiniJson.string(d, "route"),
                    d.get("url") instanceof String u ? u : "-");
        }
        out.flush();
        return ExitCodes.OK;
    }
}
