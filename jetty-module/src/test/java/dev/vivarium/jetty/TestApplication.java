package dev.vivarium.jetty;

import dev.vivarium.testkit.PassThrough;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The application behind Vivarium in the handler's tests, answering as {@link PassThrough} says.
 */
final class TestApplication {
    private TestApplication() {}

    /** As a Jetty core handler. */
    static Handler handler() {
        return new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                response.getHeaders().put(PassThrough.HEADER, "reached");
                response.getHeaders().put("content-type", "text/plain;charset=utf-8");
                String body =
                        PassThrough.answer(
                                request.getMethod(), request.getHttpURI().getPathQuery());
                Content.Sink.write(response, true, body, callback);
                return true;
            }
        };
    }
}
