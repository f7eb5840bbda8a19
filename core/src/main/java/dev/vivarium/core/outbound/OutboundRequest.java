package dev.vivarium.core.outbound;

import dev.vivarium.core.Headers;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A request a guest created with {@code hostcall_req_create} and is still building: method and URL
 * are fixed, headers and body may change until it is sent. Owned by one session, used by one
 * thread.
 */
public final class OutboundRequest {
    /**
     * Headers the host sets itself: {@code host} always comes from the URL (a guest must not aim a
     * request at one server while naming another), {@code cdn-loop} counts the hops ({@link Hops}),
     * the rest belong to the connection.
     */
    private static final Set<String> HOST_OWNED = Set.of("host", "expect", Hops.HEADER);

    private final String method;
    private final OutboundUrl url;
    private final Headers headers = new Headers();
    private byte[] body = new byte[0];

    OutboundRequest(String method, OutboundUrl url) {
        this.method = Objects.requireNonNull(method, "method");
        this.url = Objects.requireNonNull(url, "url");
    }

    public String method() {
        return method;
    }

    public OutboundUrl url() {
        return url;
    }

    /** The headers as the guest set them (including any the host will not send). */
    public Headers headers() {
        return headers;
    }

    public byte[] body() {
        return body;
    }

    void setHeader(String name, List<String> values) {
        headers.set(name, values);
    }

    void setBody(byte[] body) {
        this.body = Objects.requireNonNull(body, "body");
    }

    /** Whether a guest-set header is left out of the request on the wire. */
    static boolean isHostOwned(String name) {
        return Headers.isHopByHop(name) || HOST_OWNED.contains(Headers.normalize(name));
    }

    @Override
    public String toString() {
        return method + " " + url;
    }
}
