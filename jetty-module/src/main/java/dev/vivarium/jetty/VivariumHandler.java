package dev.vivarium.jetty;

import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import dev.vivarium.core.config.Setting;
import dev.vivarium.core.config.VivariumSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.annotation.ManagedAttribute;
import org.eclipse.jetty.util.annotation.ManagedObject;
import org.eclipse.jetty.util.component.DumpableMap;

/**
 * Runs Vivarium guests, WebAssembly edge functions written against the Terrarium ABI, for the
 * requests its routes match, and passes every other request untouched to the handler it wraps.
 *
 * <pre>{@code
 * Server server = new Server(8080);
 * VivariumHandler vivarium = new VivariumHandler(new ResourceHandler());
 * vivarium.setRoutes("/hello -> hello.wasm, *.example.com/* -> site.wasm; id=site");
 * vivarium.setGuestDirectory(Path.of("/srv/guests"));
 * vivarium.setDeadline(Duration.ofSeconds(2));
 * server.setHandler(vivarium);
 * server.start();
 * }</pre>
 *
 * <p>In a {@code jetty-base} the {@code vivarium} module inserts it in front of the server's
 * handlers: {@code java -jar $JETTY_HOME/start.jar --add-modules=http,vivarium}, then {@code
 * jetty.vivarium.*} properties in {@code start.d/vivarium.ini}.
 *
 * <p>Settings have the same names as the servlet filter's init-params, declared in {@link
 * VivariumSettings} and listed in {@code docs/configuration.md}; values may use {@code ${env.NAME}}
 * and {@code ${sys.NAME}} placeholders. {@link #setSetting} and the typed setters only collect
 * them; they are parsed once when the handler starts, so a bad value fails the start with a message
 * naming it. Setters are refused while the handler runs. Unset, {@code guestDirectory} and {@code
 * kv.directory} are {@value #DEFAULT_GUEST_DIRECTORY} and {@value #DEFAULT_KV_DIRECTORY} under
 * {@code ${jetty.base}} (under the working directory when there is no {@code jetty.base}).
 *
 * <p>The engine is a managed bean: guests are loaded, compiled and pooled when the handler starts,
 * and everything is released when it stops. Guests run on the thread that handles the request, so
 * the handler is {@link InvocationType#BLOCKING}.
 */
@ManagedObject("WebAssembly guests answering the routes in front of the wrapped handler")
public final class VivariumHandler extends Handler.Wrapper {
    /** Where guests are looked up when {@code guestDirectory} is unset, under jetty.base. */
    public static final String DEFAULT_GUEST_DIRECTORY = "vivarium/guests";

    /** Where KV stores live when {@code kv.directory} is unset, under jetty.base. */
    public static final String DEFAULT_KV_DIRECTORY = "vivarium/kv";

    private final Map<String, String> settings = new LinkedHashMap<>();
    private final EngineLifeCycle engine;
    private MeterRegistry meterRegistry;

    /** A handler with nothing behind it: requests no route takes are not handled here. */
    public VivariumHandler() {
        this(null);
    }

    /**
     * @param handler where requests that no route takes go, or null
     */
    public VivariumHandler(Handler handler) {
        super(handler);
        this.engine = new EngineLifeCycle(this::parseOptions, () -> meterRegistry);
        addBean(engine, true);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Vivarium vivarium = engine.vivarium();
        // declines cheaply: serve() routes before it reads or writes anything
        if (vivarium == null || !vivarium.serve(new JettyExchange(request, response, callback))) {
            return super.handle(request, response, callback);
        }
        return true;
    }

    /**
     * Always blocking, whatever the wrapped handler is: a guest occupies its thread until it
     * returns or its deadline interrupts it.
     */
    @Override
    public InvocationType getInvocationType() {
        return InvocationType.BLOCKING;
    }

    /**
     * Sets one setting by its shared name ({@code jetty.vivarium.<name>} in the module), e.g.
     * {@code setSetting(VivariumSettings.DEADLINE.name(), "2s")} or {@code
     * setSetting("kv.directory", "/var/kv")}.
     *
     * @param value the value as text; null or blank unsets it
     * @throws IllegalStateException while the handler runs
     */
    public void setSetting(String name, String value) {
        Objects.requireNonNull(name, "name");
        if (isRunning()) {
            throw new IllegalStateException(getState());
        }
        String key = name.trim();
        if (value == null || value.isBlank()) {
            settings.remove(key);
        } else {
            settings.put(key, value.trim());
        }
    }

    /** Sets each of the given settings, as {@link #setSetting} does. */
    public void setSettings(Map<String, String> values) {
        Objects.requireNonNull(values, "values").forEach(this::setSetting);
    }

    /** The settings as given, by name, in the order they were first set. */
    public Map<String, String> getSettings() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /** One setting as given, or null. */
    public String getSetting(String name) {
        return settings.get(name);
    }

    /**
     * The {@code routes} setting: {@code MATCH -> GUEST [; key=value]} entries separated by commas
     * or new lines, e.g. {@code "/hello -> hello.wasm, *.example.com/* -> site.wasm; id=site"}.
     */
    public void setRoutes(String routes) {
        setSetting(VivariumSettings.ROUTES.name(), routes);
    }

    /** The {@code guestDirectory} setting: where guest file names in routes are looked up. */
    public void setGuestDirectory(Path directory) {
        setSetting(
                VivariumSettings.GUEST_DIRECTORY.name(),
                directory == null ? null : directory.toString());
    }

    /** The {@code deadline} setting: how long a guest may run before it is stopped (504). */
    public void setDeadline(Duration deadline) {
        setSetting(
                VivariumSettings.DEADLINE.name(),
                deadline == null ? null : deadline.toMillis() + "ms");
    }

    /** The {@code poolSize} setting: idle instances kept per guest. */
    public void setPoolSize(int poolSize) {
        setSetting(VivariumSettings.POOL_SIZE.name(), Integer.toString(poolSize));
    }

    /** The {@code maxRequestBodySize} setting, in bytes: larger request bodies get 413. */
    public void setMaxRequestBodySize(long bytes) {
        setSetting(VivariumSettings.MAX_REQUEST_BODY_SIZE.name(), Long.toString(bytes));
    }

    /** The {@code maxResponseBodySize} setting, in bytes: a guest writing more fails (500). */
    public void setMaxResponseBodySize(long bytes) {
        setSetting(VivariumSettings.MAX_RESPONSE_BODY_SIZE.name(), Long.toString(bytes));
    }

    /** The {@code maxMemoryPages} setting: the memory cap of one instance, in 64 KiB pages. */
    public void setMaxMemoryPages(int pages) {
        setSetting(VivariumSettings.MAX_MEMORY_PAGES.name(), Integer.toString(pages));
    }

    /**
     * The {@code maxTotalMemory} setting, in bytes: the memory cap of all instances together (idle
     * ones included) and the bodies of running requests; by default half the JVM's maximum heap.
     */
    public void setMaxTotalMemory(long bytes) {
        setSetting(VivariumSettings.MAX_TOTAL_MEMORY.name(), Long.toString(bytes));
    }

    /**
     * Where the engine records its metrics (a Prometheus registry, say); by default it keeps its
     * own {@code SimpleMeterRegistry}, reachable through {@link #getVivarium()}.
     *
     * @throws IllegalStateException while the handler runs
     */
    public void setMeterRegistry(MeterRegistry registry) {
        if (isRunning()) {
            throw new IllegalStateException(getState());
        }
        this.meterRegistry = registry;
    }

    /** The running engine (routes, pools, metrics, KV stores), or null while stopped. */
    public Vivarium getVivarium() {
        return engine.vivarium();
    }

    /** For JMX: the routes, most specific first, configured and uploaded; empty while stopped. */
    @ManagedAttribute("routes, most specific first (configured and uploaded)")
    public String[] getRoutes() {
        Vivarium v = engine.vivarium();
        return v == null ? new String[0] : v.routeSpecs().toArray(String[]::new);
    }

    /** For JMX: each guest's instance pool (idle, in use, created, reused, discarded). */
    @ManagedAttribute("instance pools of the guests")
    public String[] getPools() {
        Vivarium v = engine.vivarium();
        return v == null
                ? new String[0]
                : v.pools().stream().map(Object::toString).toArray(String[]::new);
    }

    /** For JMX: bytes held for guests now (see the {@code maxTotalMemory} setting). */
    @ManagedAttribute("bytes held for guests: instances' memory and running requests' bodies")
    public long getMemoryUsed() {
        Vivarium v = engine.vivarium();
        return v == null ? 0 : v.memoryUsed();
    }

    /** For JMX: the {@code maxTotalMemory} in effect, in bytes. */
    @ManagedAttribute("maxTotalMemory in bytes")
    public long getMemoryMax() {
        Vivarium v = engine.vivarium();
        return v == null ? 0 : v.options().maxTotalMemory();
    }

    /** For JMX: requests answered by guests since start, whatever their outcome. */
    @ManagedAttribute("requests answered by guests since start")
    public long getRequests() {
        return requests(null);
    }

    /** For JMX: requests that ended in an error (trap, panic, deadline, limit, 503) since start. */
    @ManagedAttribute("requests that ended in an error since start")
    public long getFailedRequests() {
        return requests("ok");
    }

    /** Sums {@code vivarium.requests} over every guest, leaving out {@code excludedOutcome}. */
    private long requests(String excludedOutcome) {
        Vivarium v = engine.vivarium();
        if (v == null) {
            return 0;
        }
        double sum = 0;
        for (Counter c : v.meterRegistry().find("vivarium.requests").counters()) {
            if (excludedOutcome == null || !excludedOutcome.equals(c.getId().getTag("outcome"))) {
                sum += c.count();
            }
        }
        return (long) sum;
    }

    /** Parses the collected settings; called once by the engine bean as it starts. */
    private VivariumOptions parseOptions() {
        String jettyBase = System.getProperty("jetty.base");
        Path base = jettyBase == null || jettyBase.isBlank() ? Path.of("") : Path.of(jettyBase);
        return VivariumOptions.parse(
                settings,
                base.resolve(DEFAULT_GUEST_DIRECTORY),
                base.resolve(DEFAULT_KV_DIRECTORY));
    }

    @Override
    public void dump(Appendable out, String indent) throws IOException {
        // the wrapped handler and the engine (routes, pools) are dumped as beans
        dumpObjects(out, indent, new DumpableMap("settings", shown()));
    }

    /** The settings with tokens and passwords masked. */
    private Map<String, String> shown() {
        Map<String, String> shown = new LinkedHashMap<>(settings);
        shown.replaceAll(
                (name, value) -> {
                    Setting<?> s = VivariumSettings.named(name);
                    return s != null && s.kind().secret() ? "******" : value;
                });
        return shown;
    }

    @Override
    public String toString() {
        return String.format("%s@%x{%s}", getClass().getSimpleName(), hashCode(), getState());
    }
}
