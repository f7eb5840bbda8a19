package dev.vivarium.core;

import java.util.Objects;

/**
 * The incoming request as a guest sees it: the neutral model that each adapter fills in.
 *
 * @param method the HTTP method, e.g. {@code GET}
 * @param pathAndQuery the raw path including the query string, e.g. {@code /a/b?x=1}
 * @param host the host the client asked for (without port), used for routing
 * @param headers request headers; the engine adds {@code fastly-client-ip}
 * @param body the whole body (empty when there is none)
 * @param clientAddress the client's IP address as text
 */
public record GuestRequest(
        String method,
        String pathAndQuery,
        String host,
        Headers headers,
        byte[] body,
        String clientAddress) {

    public GuestRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(pathAndQuery, "pathAndQuery");
        Objects.requireNonNull(headers, "headers");
        host = host == null ? "" : host;
        body = body == null ? NO_BODY : body;
        clientAddress = clientAddress == null ? "" : clientAddress;
    }

    private static final byte[] NO_BODY = new byte[0];

    /** The path without the query string, for routing. */
    public String path() {
        int q = pathAndQuery.indexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    }
}
