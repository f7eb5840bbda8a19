package dev.vivarium.core.deploy;

/** Why an upload or removal was refused, with the HTTP status the admin API answers with. */
public final class UploadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final long retryAfterSeconds;

    UploadException(int status, String message) {
        this(status, message, null, 0);
    }

    UploadException(int status, String message, Throwable cause) {
        this(status, message, cause, 0);
    }

    UploadException(int status, String message, Throwable cause, long retryAfterSeconds) {
        super(message, cause);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /**
     * 400 bad input, 404 unknown deployment, 409 conflict or limit, 500 host failure, 503 busy or
     * stopping.
     */
    public int status() {
        return status;
    }

    /** When to try again, in seconds, for a 503 that will pass (too many uploads); else 0. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** As the admin API's error body. */
    public AdminError toError() {
        return new AdminError(status, getMessage(), retryAfterSeconds);
    }
}
