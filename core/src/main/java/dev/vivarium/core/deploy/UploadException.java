package dev.vivarium.core.deploy;

/** Why an upload or removal was refused, with the HTTP status the admin API answers with. */
public final class UploadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    UploadException(int status, String message) {
        super(message);
        this.status = status;
    }

    UploadException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** 400 bad input, 404 unknown deployment, 409 conflict or limit, 500 host failure. */
    public int status() {
        return status;
    }
}
