package dev.vivarium.core.deploy;

import dev.vivarium.core.Headers;
import dev.vivarium.core.Outcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The dashboard: one page under {@code admin.path}{@code /dashboard/} (plain HTML, JavaScript and
 * CSS from core's resources, no build step, nothing from elsewhere, so it works offline). The files
 * hold no data and are served without the token; the page asks for the token, keeps it in the tab's
 * {@code sessionStorage} and sends it as {@code Authorization: Bearer} with each request to the
 * admin API ({@code /deployments}, {@code /stats}, the log follow read with {@code fetch}, since
 * {@code EventSource} cannot send a header). Its Content-Security-Policy lets it load and reach
 * only its own origin.
 */
final class Dashboard {
    private static final String DIR = "/dev/vivarium/core/dashboard/";

    private static final Map<String, String> FILES =
            Map.of(
                    "index.html", "text/html;charset=utf-8",
                    "dashboard.js", "text/javascript;charset=utf-8",
                    "dashboard.css", "text/css;charset=utf-8");

    private Dashboard() {}

    /**
     * The answer to {@code rest} (the path below {@code admin.path}) when it is one of the
     * dashboard's, else null.
     */
    static Outcome page(String rest, String method) {
        if (!rest.equals("/dashboard") && !rest.startsWith("/dashboard/")) {
            return null;
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return null; // the API's 405, after the token check
        }
        if (rest.equals("/dashboard")) {
            Headers h = new Headers();
            h.add("location", "dashboard/");
            return Outcome.response(308, h, new byte[0]);
        }
        String name = rest.substring("/dashboard/".length());
        if (name.isEmpty()) {
            name = "index.html";
        }
        String type = FILES.get(name);
        if (type == null) {
            return null;
        }
        Headers h = new Headers();
        h.add("content-type", type);
        h.add("cache-control", "no-cache");
        h.add(
                "content-security-policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                        + " connect-src 'self'; form-action 'none'; frame-ancestors 'none';"
                        + " base-uri 'none'");
        h.add("x-content-type-options", "nosniff");
        h.add("referrer-policy", "no-referrer");
        return Outcome.response(200, h, method.equals("HEAD") ? new byte[0] : read(name));
    }

    private static byte[] read(String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException(
                        "the dashboard's " + name + " is not in core's jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
