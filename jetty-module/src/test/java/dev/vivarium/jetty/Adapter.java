package dev.vivarium.jetty;

import dev.vivarium.servlet.VivariumFilter;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.handler.ContextHandler;

/**
 * One way of putting Vivarium in front of an application on a server. The shared scenarios run
 * through each, so every adapter must answer alike: the same settings in, the same responses out.
 */
interface Adapter {
    /** Starts a server with Vivarium, with these settings, in front of {@link TestApplication}. */
    TestServer start(Map<String, String> settings) throws Exception;

    /** {@link VivariumHandler} wrapping a core handler. */
    Adapter HANDLER = handler("/");

    /** The servlet filter, configured by init-params, on an ee10 context in front of a servlet. */
    Adapter FILTER = filter("/");

    /** The servlet filter on Tomcat 10.1: it needs nothing of Jetty's. */
    Adapter TOMCAT_FILTER = tomcatFilter("/");

    /** The servlet filter in a webapp at {@code contextPath} on an embedded Tomcat. */
    static Adapter tomcatFilter(String contextPath) {
        return new Adapter() {
            @Override
            public TestServer start(Map<String, String> settings) throws Exception {
                return TestServer.tomcat(contextPath, settings);
            }

            @Override
            public String toString() {
                return "VivariumFilter on Tomcat"
                        + (contextPath.equals("/") ? "" : " at " + contextPath);
            }
        };
    }

    /**
     * {@link VivariumHandler} wrapping a core handler; below {@code contextPath} unless it is
     * {@code /}, as in a {@link ContextHandler} of a larger server.
     */
    static Adapter handler(String contextPath) {
        return new Adapter() {
            @Override
            public TestServer start(Map<String, String> settings) throws Exception {
                return TestServer.start(
                        (server, s) -> {
                            VivariumHandler vivarium =
                                    new VivariumHandler(TestApplication.handler());
                            vivarium.setSettings(s);
                            server.setHandler(
                                    contextPath.equals("/")
                                            ? vivarium
                                            : new ContextHandler(vivarium, contextPath));
                        },
                        settings);
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
            public TestServer start(Map<String, String> settings) throws Exception {
                return TestServer.start(
                        (server, s) -> {
                            ServletContextHandler context = new ServletContextHandler(contextPath);
                            FilterHolder filter = new FilterHolder(VivariumFilter.class);
                            filter.setInitParameters(s);
                            context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
                            context.addServlet(TestApplication.servlet(), "/*");
                            server.setHandler(context);
                        },
                        settings);
            }

            @Override
            public String toString() {
                return "VivariumFilter" + (contextPath.equals("/") ? "" : " at " + contextPath);
            }
        };
    }
}
