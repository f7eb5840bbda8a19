package dev.vivarium.cli;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import dev.vivarium.client.AdminClient;
import dev.vivarium.client.Builder;
import dev.vivarium.client.CliException;
import dev.vivarium.client.ExitCodes;
import dev.vivarium.client.Project;
import dev.vivarium.jetty.VivariumHandler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * {@code vivarium dev}: the project on an embedded Jetty with {@link VivariumHandler} on 127.0.0.1,
 * rebuilt and uploaded again to that server's own admin API whenever a source changes (the JDK
 * {@link WatchService} on every project directory but {@code target/}). A build that fails is
 * reported and the last good version keeps serving.
 */
public final class DevServer implements AutoCloseable {
    /** How long to wait after a change for more (editors write a file in several steps). */
    private static final long SETTLE_MILLIS = 40;

    private final Project project;
    private final PrintWriter log;
    private final Builder builder;
    private final Server server;
    private final ServerConnector connector;
    private final String token;
    private final WatchService watcher;
    private final Thread watchThread;
    private final AtomicInteger reloads = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();
    private AdminClient admin;

    public DevServer(Project project, String host, int port, PrintWriter log) throws Exception {
        this.project = project;
        this.log = log;
        this.builder = new Builder(log);
        this.token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        Path dev = project.dir().resolve("target/dev");
        Files.createDirectories(dev);
        this.server = new Server();
        this.connector = new ServerConnector(server);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        VivariumHandler handler = new VivariumHandler();
        Map<String, String> s = new LinkedHashMap<>();
        s.put("admin.token", token);
        s.put("kv.directory", dev.resolve("kv").toString());
        s.put("guestDirectory", dev.toString());
        s.put("deployments.maxTtl", "30d");
        handler.setSettings(s);
        server.setHandler(handler);
        this.watcher = FileSystems.getDefault().newWatchService();
        this.watchThread = new Thread(this::watch, "vivarium-dev-watch");
        watchThread.setDaemon(true);
    }

    /** Builds, starts the server, uploads, and watches the sources. */
    public DevServer start() throws Exception {
        Builder.Result r = builder.build(project, false);
        try {
            server.start();
        } catch (IOException e) {
            server.stop();
            throw new CliException(
                    ExitCodes.USAGE,
                    "cannot listen on "
                            + connector.getHost()
                            + ":"
                            + connector.getPort()
                            + " ("
                            + e.getMessage()
                            + "); choose another --port",
                    e);
        }
        admin = new AdminClient(baseUrl(), "/_vivarium", token);
        upload(r);
        registerAll(project.dir());
        watchThread.start();
        return this;
    }

    public String baseUrl() {
        return "http://" + connector.getHost() + ":" + connector.getLocalPort();
    }

    /** The URL the project answers at. */
    public String url() {
        return baseUrl() + project.urlPath();
    }

    /** Reloads done since start (the first upload not counted). */
    public int reloads() {
        return reloads.get();
    }

    /** Builds that failed since start. */
    public int failures() {
        return failures.get();
    }

    /** Until closed or interrupted. */
    public void join() throws InterruptedException {
        server.join();
    }

    private void upload(Builder.Result r) throws IOException {
        byte[] module = Files.readAllBytes(r.output());
        admin.upload(project.name(), project.route(), "30d", module, log);
    }

    private void registerAll(Path root) throws IOException {
        try (Stream<Path> dirs = Files.walk(root)) {
            for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
                if (Builder.watched(project.dir(), d)) {
                    d.register(watcher, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE);
                }
            }
        }
    }

    private void watch() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                boolean changed = drain(key);
                // let the editor finish writing, and collect what else changed meanwhile
                WatchKey more;
                while ((more = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    changed |= drain(more);
                }
                if (changed) {
                    reload();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    /** Whether the key's events touch a source; registers new directories. */
    private boolean drain(WatchKey key) {
        boolean changed = false;
        Path dir = (Path) key.watchable();
        for (WatchEvent<?> e : key.pollEvents()) {
            if (!(e.context() instanceof Path name)) {
                changed = true; // overflow: look again
                continue;
            }
            Path f = dir.resolve(name);
            if (!Builder.watched(project.dir(), f) || name.toString().endsWith(".tmp")) {
                continue;
            }
            changed = true;
            if (e.kind() == ENTRY_CREATE && Files.isDirectory(f)) {
                try {
                    registerAll(f);
                } catch (IOException ex) {
                    log.println("vivarium dev: cannot watch " + f + ": " + ex);
                }
            }
        }
        key.reset();
        return changed;
    }

    private void reload() {
        long start = System.nanoTime();
        try {
            Builder.Result r = builder.build(project, true);
            upload(r);
            reloads.incrementAndGet();
            log.printf(
                    "reloaded %s in %d ms (build %d ms)%n",
                    project.name(), (System.nanoTime() - start) / 1_000_000, r.millis());
        } catch (CliException | IOException e) {
            failures.incrementAndGet();
            log.println("vivarium dev: " + e.getMessage());
            log.println("vivarium dev: the last good build keeps serving; fix it and save again");
        }
        log.flush();
    }

    @Override
    public void close() throws Exception {
        watchThread.interrupt();
        watcher.close();
        server.stop();
    }
}
