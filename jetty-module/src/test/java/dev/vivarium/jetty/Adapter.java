package dev.vivarium.jetty;

import dev.vivarium.servlet.VivariumFilter;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandler;

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
    Adapter HANDLER = handler("/");

    /** The servlet filter, configured by init-params, on an ee10 context in front of a servlet. */
    Adapter FILTER = filter("/");

    /**
     * {@link VivariumHandler} wrapping a core handler; below {@code contextPath} unless it is
     * {@code /}, as in a {@link ContextHandler} of a larger server.
     */
    static Adapter handler(String contextPath) {
        return new Adapter() {
            @Override
            public void install(Server server, Map<String, String> settings) {
                VivariumHandler vivarium = new VivariumHandler(TestApplication.handler());
                vivarium.setSettings(settings);
                server.setHandler(
                        contextPath.equals("/")
                                ? vivarium
                                : new ContextHandler(vivarium, contextPath));
            }

            @Override
            public String toString() {
                return "VivariumHandler" + (contextPath.equals("/") ? "" : " at " + contextPath);
            }
        };
    }

    /** The servlet filter in a webapp (an ee10 context) at {@code contextPath}. */
    static Adapter filter(String contextPath) {
        return new Adapter() {
            @Override
            public void install(Server server, Map<String, String> settings) {
                ServletContextHandler context = new ServletContextHandler(contextPath);
                FilterHolder filter = new FilterHolder(VivariumFilter.class);
                filter.setInitParameters(settings);
                context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
                context.addServlet(TestApplication.servlet(), "/*");
                server.setHandler(context);
            }

            @Override
            public String toString() {
                return "VivariumFilter" + (contextPath.equals("/") ? "" : " at " + contextPath);
            }
        };
    }
}
