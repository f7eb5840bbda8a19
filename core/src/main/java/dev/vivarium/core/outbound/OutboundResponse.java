package dev.vivarium.core.outbound;

import dev.vivarium.core.Headers;
import java.util.Objects;

/**
 * A response a guest received: status, headers (lower-case names, in arrival order) and the whole
 * body. Immutable once built.
 *
 * @param status the HTTP status code
 * @param headers the response headers; not to be modified
 * @param body the body, possibly empty
 */
public record OutboundResponse(int status, Headers headers, byte[] body) {
    public OutboundResponse {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(body, "body");
    }
}
