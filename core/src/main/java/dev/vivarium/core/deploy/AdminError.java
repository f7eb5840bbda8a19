package dev.vivarium.core.deploy;

/**
 * An admin API error, as JSON {@code {"error": "..."}}.
 *
 * @param status the HTTP status
 * @param message what was wrong and, where it helps, what is valid
 * @param retryAfterSeconds for a 503 that will pass, when to try again (the {@code Retry-After}
 *     header); else 0
 */
public record AdminError(int status, String message, long retryAfterSeconds) {
    public AdminError(int status, String message) {
        this(status, message, 0);
    }

    public String toJson() {
        return "{\"error\":" + Json.string(message) + "}";
    }
}
