package dev.vivarium.sample;

import dev.vivarium.servlet.VivariumFilter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code /__metrics}: the site's meters (Vivarium's and the JVM's) in the Prometheus text format,
 * from the registry {@link MetricsListener} bound to the filter.
 */
public final class MetricsServlet extends HttpServlet {
    /** The content type of the Prometheus text exposition format this serves. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Object registry = getServletContext().getAttribute(VivariumFilter.METER_REGISTRY_ATTRIBUTE);
        if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
            resp.sendError(503, "no Prometheus registry: MetricsListener is not in web.xml");
            return;
        }
        byte[] body = prometheus.scrape().getBytes(StandardCharsets.UTF_8);
        resp.setContentType(CONTENT_TYPE);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
