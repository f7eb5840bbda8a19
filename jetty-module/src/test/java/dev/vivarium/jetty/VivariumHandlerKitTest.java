package dev.vivarium.jetty;

import dev.vivarium.testkit.AdapterScenarios;
import dev.vivarium.testkit.KitServer;
import java.util.Map;
import org.eclipse.jetty.server.handler.ContextHandler;

/** The adapter kit through {@link VivariumHandler} wrapping a core handler. */
class VivariumHandlerKitTest extends AdapterScenarios {
    @Override
    public KitServer start(Map<String, String> settings, String contextPath) throws Exception {
        return TestServer.start(
                (server, s) -> {
                    VivariumHandler vivarium = new VivariumHandler(TestApplication.handler());
                    vivarium.setSettings(s);
                    // below a context path as in a ContextHandler of a larger server
                    server.setHandler(
                            contextPath.isEmpty()
                                    ? vivarium
                                    : new ContextHandler(vivarium, contextPath));
                },
                settings);
    }
}
