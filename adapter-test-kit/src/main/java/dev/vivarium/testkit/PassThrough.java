package dev.vivarium.testkit;

/**
 * What the application behind Vivarium answers in the kit's scenarios, whatever the server: 200
 * {@code application saw METHOD PATH?QUERY} (the request URI as sent, context path included) with
 * header {@value #HEADER}{@code : reached}, so a scenario can tell that a request passed through
 * untouched. Each adapter's test writes it in its server's terms (a servlet, a Jetty handler).
 */
public final class PassThrough {
    /** The header the application sets, with the value {@code reached}. */
    public static final String HEADER = "x-application";

    private PassThrough() {}

    /** The application's body for a request. */
    public static String answer(String method, String pathAndQuery) {
        return "application saw " + method + " " + pathAndQuery;
    }
}
