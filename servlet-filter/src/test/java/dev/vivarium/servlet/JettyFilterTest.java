package dev.vivarium.servlet;

/** The filter's scenarios on Jetty 12 (ee10). */
class JettyFilterTest extends FilterScenarios {
    @Override
    FilterServer.Container container() {
        return FilterServer.Container.JETTY;
    }
}
