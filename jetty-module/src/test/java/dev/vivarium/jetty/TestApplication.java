package dev.vivarium.jetty;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The application behind Vivarium in the adapter tests: answers every request it receives with 200
 * {@code application saw METHOD PATH?QUERY} and header {@code x-application: reached}, so a test
 * can tell that a request passed through untouched.
 */
final class TestApplication {
    static final String HEADER = "x-application";

    private TestApplication() {}

    static String answer(String method, String pathAndQuery) {
        return "application saw " + method + " " + pathAndQuery;
    }

    /** As a Jetty core handler. */
    static Handler handler() {
        return new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                response.getHeaders().put(HEADER, "reached");
                response.getHeaders().put("content-type", "text/plain;charset=utf-8");
                String body = answer(request.getMethod(), request.getHttpURI().getPathQuery());
                Content.Sink.write(response, true, body, callback);
                return true;
            }
        };
    }

    /** As a servlet. */
    static HttpServlet servlet() {
        return new HttpServlet() {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp)
                    throws IOException {
                String query = req.getQueryString();
                String pathAndQuery = req.getRequestURI() + (query == null ? "" : "?" + query);
                resp.setStatus(200);
                resp.setHeader(HEADER, "reached");
                resp.setContentType("text/plain;charset=utf-8");
                resp.getOutputStream()
                        .write(
                                answer(req.getMethod(), pathAndQuery)
                                        .getBytes(StandardCharsets.UTF_8));
            }
        };
    }
}
