package dev.vivarium.jetty;

import dev.vivarium.servlet.VivariumFilter;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;

/**
 * One way of putting Vivarium in front of an application on a Jetty server. The shared scenarios
 * run through each, so both adapters must answer alike: the same settings in, the same responses
 * out.
 */
interface Adapter {
    /**
     * Installs Vivarium with these settings as the server's handler, in front of {@link
     * TestApplication}.
     */
    void install(Server server, Map<String, String> settings) throws Exception;

    /** {@link VivariumHandler} wrapping a core handler. */
    Adapter HANDLER =
            new Adapter() {
                @Override
                public void install(Server server, Map<String, String> settings) {
                    VivariumHandler vivarium = new VivariumHandler(TestApplication.handler());
                    vivarium.setSettings(settings);
                    server.setHandler(vivarium);
                }

                @Override
                public String toString() {
                    return "VivariumHandler";
                }
            };

    /** The servlet filter, configured by init-params, on an ee10 context in front of a servlet. */
    Adapter FILTER =
            new Adapter() {
                @Override
                public void install(Server server, Map<String, String> settings) {
                    ServletContextHandler context = new ServletContextHandler("/");
                    FilterHolder filter = new FilterHolder(VivariumFilter.class);
                    filter.setInitParameters(settings);
                    context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
                    context.addServlet(TestApplication.servlet(), "/*");
                    server.setHandler(context);
                }

                @Override
                public String toString() {
                    return "VivariumFilter";
                }
            };
}
