package dev.vivarium.cli;

import dev.vivarium.client.AdminClient;
import picocli.CommandLine.Option;

/** Where the admin API is: {@code --server}, {@code --token}, {@code --admin-path}. */
final class ServerOptions {
    @Option(
            names = "--server",
            paramLabel = "URL",
            defaultValue = "${env:VIVARIUM_SERVER}",
            description = "The server (with its context path, if any); default $VIVARIUM_SERVER.")
    String server;

    @Option(
            names = "--token",
            paramLabel = "TOKEN",
            defaultValue = "${env:VIVARIUM_TOKEN}",
            description = "The server's admin.token; default $VIVARIUM_TOKEN.")
    String token;

    @Option(
            names = "--admin-path",
            paramLabel = "PATH",
            defaultValue = "/_vivarium",
            description = "The server's admin.path (default ${DEFAULT-VALUE}).")
    String adminPath;

    AdminClient client() {
        return new AdminClient(server, adminPath, token);
    }
}
