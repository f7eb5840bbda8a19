package dev.vivarium.servlet;

/** The filter's scenarios on Tomcat 10.1: the filter relies on the Servlet API only. */
class TomcatFilterTest extends FilterScenarios {
    @Override
    FilterServer.Container container() {
        return FilterServer.Container.TOMCAT;
    }

    /** Tomcat answers 400 itself, before any filter, to raw UTF-8 in a request target. */
    @Override
    public boolean passesRawUtf8InTheTarget() {
        return false;
    }
}
