package dev.vivarium.jetty;

import dev.vivarium.core.Vivarium;
import dev.vivarium.core.VivariumOptions;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.Objects;
import java.util.function.Supplier;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.component.Dumpable;
import org.eclipse.jetty.util.component.DumpableCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine as a managed bean of {@link VivariumHandler}: it is built (guests loaded, compiled and
 * their pools warmed) when the handler starts and closed when the handler stops, so a Jetty server
 * that stops releases every instance, thread and KV file the engine holds. A start that fails (a
 * bad setting, a guest that does not load) fails the handler and so the server.
 */
final class EngineLifeCycle extends AbstractLifeCycle implements Dumpable {
    private static final Logger LOG = LoggerFactory.getLogger(VivariumHandler.class);
    private final Supplier<VivariumOptions> options;
    private final Supplier<MeterRegistry> meterRegistry;
    private volatile Vivarium vivarium;

    /**
     * @param options parses the settings; called once per start
     * @param meterRegistry where the engine records metrics, or a supplier of null for its own
     */
    EngineLifeCycle(Supplier<VivariumOptions> options, Supplier<MeterRegistry> meterRegistry) {
        this.options = Objects.requireNonNull(options, "options");
        this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
    }

    /** The running engine, or null while stopped. */
    Vivarium vivarium() {
        return vivarium;
    }

    @Override
    protected void doStart() throws Exception {
        vivarium = Vivarium.builder(options.get()).meterRegistry(meterRegistry.get()).start();
        LOG.info(vivarium.startupLine());
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        Vivarium running = vivarium;
        vivarium = null;
        if (running != null) {
            running.close();
        }
    }

    @Override
    public void dump(Appendable out, String indent) throws IOException {
        Vivarium running = vivarium;
        if (running == null) {
            Dumpable.dumpObjects(out, indent, this);
            return;
        }
        // routes with their deadlines and deployments, then each guest's pool counters
        Dumpable.dumpObjects(
                out,
                indent,
                this,
                new DumpableCollection("routes", running.routes()),
                new DumpableCollection("pools", running.pools()));
    }

    @Override
    public String toString() {
        return String.format("VivariumEngine@%x{%s}", hashCode(), getState());
    }
}
