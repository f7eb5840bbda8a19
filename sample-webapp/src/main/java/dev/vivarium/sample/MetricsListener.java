package dev.vivarium.sample;

import dev.vivarium.servlet.VivariumFilter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

/**
 * Gives the site's Vivarium filter a Prometheus registry: created as the webapp starts, before the
 * filter, and put in the servlet-context attribute the filter reads ({@link
 * VivariumFilter#METER_REGISTRY_ATTRIBUTE}); {@link MetricsServlet} serves it at {@code
 * /__metrics}. A host app does the same with its own registry (see {@code docs/metrics.md}).
 */
public final class MetricsListener implements ServletContextListener {
    @Override
    public void contextInitialized(ServletContextEvent event) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        event.getServletContext().setAttribute(VivariumFilter.METER_REGISTRY_ATTRIBUTE, registry);
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (event.getServletContext().getAttribute(VivariumFilter.METER_REGISTRY_ATTRIBUTE)
                instanceof PrometheusMeterRegistry registry) {
            registry.close();
        }
    }
}
