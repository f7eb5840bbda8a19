package dev.vivarium.sample;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The site's own servlet, untouched by the filter: {@code /plain} answers "Hello, world!" (the
 * baseline the benchmark compares the hello guest with), {@code /api/fast} and {@code
 * /api/slow?ms=N} give the fetch and fan-out guests something to call.
 */
public final class PlainServlet extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        resp.setContentType("text/plain");
        switch (path) {
            case "/plain" -> resp.getWriter().print("Hello, world!");
            case "/api/fast" -> resp.getWriter().print("fast");
            case "/api/slow" -> {
                long ms = parse(req.getParameter("ms"), 300);
                try {
                    Thread.sleep(Math.min(ms, 5_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                resp.getWriter().print("slow " + ms + "ms");
            }
            default -> resp.sendError(404);
        }
    }

    private static long parse(String s, long dflt) {
        try {
            return s == null ? dflt : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
