package dev.vivarium.client;

/**
 * The exit codes of the {@code vivarium} command (docs/cli.md lists them): a script can tell a
 * broken build from a refused upload or a bad token without reading the message.
 */
public final class ExitCodes {
    /** Done. */
    public static final int OK = 0;

    /** Something unexpected; the message (and {@code --verbose}'s stack trace) says what. */
    public static final int INTERNAL = 1;

    /** A bad command line: unknown option, missing argument, invalid value. */
    public static final int USAGE = 2;

    /** The project is missing or wrong: no vivarium.toml, a bad manifest, a name already taken. */
    public static final int PROJECT = 3;

    /** The compiler refused the sources; its output is printed. */
    public static final int BUILD_FAILED = 4;

    /** The toolchain for the project's language is not installed; the apt-get line is printed. */
    public static final int NO_TOOLCHAIN = 5;

    /** The server could not be reached (connection refused, timeout, bad URL). */
    public static final int UNREACHABLE = 6;

    /** The server refused the request; its JSON message is printed. */
    public static final int REFUSED = 7;

    /** The server answered 401 or 403: bad or missing token, or an address it does not answer. */
    public static final int UNAUTHORIZED = 8;

    /** The upload was accepted but its URL did not start serving within {@code --wait}. */
    public static final int NOT_SERVING = 9;

    private ExitCodes() {}
}
