package dev.vivarium.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vivarium.core.config.ConfigurationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The route table at the scale of 10,000 deployments: every answer is the one the definition gives
 * (the first route, most specific first, whose {@link RouteSpec#matches} holds), checked against
 * that definition for many requests; and routes removed and added one deployment at a time.
 */
class RouteTableScaleTest {
    /** The definition: most specific first, the first that matches. */
    private static String reference(List<RouteSpec> sorted, String host, String path) {
        for (RouteSpec s : sorted) {
            if (s.matches(host, path)) {
                return s.guest();
            }
        }
        return null;
    }

    /** Per deployment N: {@code dN.apps.test/*}, {@code /dN/*}, and for some {@code /dN/exact}. */
    private static List<RouteSpec> sorted(List<RouteSpec> routes) {
        List<RouteSpec> sorted = new ArrayList<>(routes);
        sorted.sort(RouteSpec::mostSpecificFirst);
        return sorted;
    }

    private static List<RouteSpec> deployments(int n) {
        List<RouteSpec> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(RouteSpec.parse("d" + i + ".apps.test/* -> h" + i + ".wasm; id=d" + i));
            out.add(RouteSpec.parse("/d" + i + "/* -> p" + i + ".wasm; id=d" + i));
            if (i % 10 == 0) {
                out.add(RouteSpec.parse("/d" + i + "/exact -> e" + i + ".wasm; id=d" + i));
                out.add(RouteSpec.parse("/d" + i + "/a/b/* -> ab" + i + ".wasm; id=d" + i));
            }
        }
        // overlapping shapes: wildcard hosts of two lengths, a catch-all, an exact host path
        out.addAll(
                RouteSpec.parseAll(
                        "*.apps.test/* -> wild.wasm, *.eu.apps.test/* -> wildeu.wasm,"
                                + " *.eu.apps.test/x -> wildeux.wasm, /* -> all.wasm,"
                                + " d7.apps.test/only -> only7.wasm; id=d7x,"
                                + " /d3/a -> d3a.wasm, /d3/a/* -> d3astar.wasm"));
        return out;
    }

    @Test
    void tenThousandDeploymentsMatchAsTheDefinitionSays() {
        List<RouteSpec> routes = deployments(10_000);
        RouteTable<String> t = new RouteTable<>(routes, RouteSpec::guest);
        assertEquals(routes.size(), t.size());

        assertEquals("h42.wasm", t.match("d42.apps.test", "/anything"));
        assertEquals("h42.wasm", t.match("D42.Apps.Test.", "/"), "case and trailing dot ignored");
        assertEquals("p42.wasm", t.match("elsewhere", "/d42/hello"));
        assertEquals("p42.wasm", t.match(null, "/d42"));
        assertEquals("all.wasm", t.match(null, "/d42x"), "a prefix ends at a segment");
        assertEquals("e40.wasm", t.match("x", "/d40/exact"));
        assertEquals("p40.wasm", t.match("x", "/d40/exact/more"));
        assertEquals("ab40.wasm", t.match("x", "/d40/a/b/c/d"), "the longest prefix wins");
        assertEquals("ab40.wasm", t.match("x", "/d40/a/b"));
        assertEquals("p40.wasm", t.match("x", "/d40/a/bc"));
        assertEquals("only7.wasm", t.match("d7.apps.test", "/only"));
        assertEquals("h7.wasm", t.match("d7.apps.test", "/only/not"));
        assertEquals("wild.wasm", t.match("nobody.apps.test", "/d42/hello"));
        assertEquals("wildeu.wasm", t.match("a.eu.apps.test", "/y"), "the longer suffix first");
        assertEquals("wildeux.wasm", t.match("a.b.eu.apps.test", "/x"));
        assertEquals("wild.wasm", t.match("eu.apps.test", "/x"), "*.eu.apps.test excludes it");
        assertEquals("d3a.wasm", t.match("x", "/d3/a"), "an exact path before a prefix");
        assertEquals("d3astar.wasm", t.match("x", "/d3/a/"));

        List<RouteSpec> sorted = sorted(routes);
        Random random = new Random(17);
        String[] hosts = {"d%d.apps.test", "x.d%d.apps.test", "q.eu.apps.test", "other", null};
        String[] paths = {"/d%d", "/d%d/", "/d%d/exact", "/d%d/a/b", "/d%d/a/b/c", "/", "/x"};
        for (int i = 0; i < 600; i++) {
            int d = random.nextInt(10_050);
            String hostForm = hosts[random.nextInt(hosts.length)];
            String host = hostForm == null ? null : String.format(hostForm, d);
            String path = String.format(paths[random.nextInt(paths.length)], d);
            assertEquals(reference(sorted, host, path), t.match(host, path), host + " " + path);
        }
    }

    @Test
    void deploymentsComeAndGoOneAtATime() {
        List<RouteSpec> routes = deployments(10_000);
        RouteTable<String> t = new RouteTable<>(List.of(), RouteSpec::guest);
        for (int i = 0; i < routes.size(); i++) {
            t = t.with(List.of(), List.of(routes.get(i)), RouteSpec::guest);
        }
        assertEquals(routes.size(), t.size());
        assertEquals("h9999.wasm", t.match("d9999.apps.test", "/"));

        // remove every other deployment's two routes, one deployment at a time
        java.util.Set<RouteSpec> kept = new java.util.LinkedHashSet<>(routes);
        RouteTable<String> before = t;
        for (int i = 0; i < 10_000; i += 2) {
            List<RouteSpec> gone =
                    List.of(
                            RouteSpec.parse("d" + i + ".apps.test/* -> h" + i + ".wasm; id=d" + i),
                            RouteSpec.parse("/d" + i + "/* -> p" + i + ".wasm; id=d" + i));
            t = t.with(gone, List.of(), RouteSpec::guest);
            kept.removeAll(gone);
        }
        assertEquals(kept.size(), t.size());
        assertEquals("h42.wasm", before.match("d42.apps.test", "/"), "an old table is unchanged");
        assertEquals("wild.wasm", t.match("d42.apps.test", "/"), "now the wildcard takes it");
        assertEquals("all.wasm", t.match(null, "/d42/x"));
        assertEquals("e40.wasm", t.match(null, "/d40/exact"), "its other routes stay");
        assertEquals("h43.wasm", t.match("d43.apps.test", "/"));
        List<RouteSpec> keptSorted = sorted(new ArrayList<>(kept));
        for (int i = 0; i < 200; i++) {
            String path = "/d" + (i * 37 % 10_000) + "/a/b/c";
            assertEquals(reference(keptSorted, null, path), t.match(null, path), path);
        }

        // a route with the same host and path as one present is refused; the table is unchanged
        RouteTable<String> full = t;
        ConfigurationException e =
                assertThrows(
                        ConfigurationException.class,
                        () ->
                                full.with(
                                        List.of(),
                                        List.of(RouteSpec.parse("/d43/* -> other.wasm; id=x")),
                                        RouteSpec::guest));
        assertTrue(e.getMessage().contains("match the same requests"), e.getMessage());
        assertEquals("p43.wasm", full.match(null, "/d43/y"));
        assertEquals(
                "/d43/* -> p43.wasm; id=d43",
                full.sameRequests(RouteSpec.parse("/d43/* -> other.wasm; id=x")).toString());
        assertNull(full.sameRequests(RouteSpec.parse("/d42/* -> other.wasm; id=x")));

        // removing a route that is not there (or differs) changes nothing
        RouteTable<String> same =
                full.with(
                        List.of(RouteSpec.parse("/d43/* -> other.wasm; id=d43")),
                        List.of(),
                        RouteSpec::guest);
        assertEquals("p43.wasm", same.match(null, "/d43/y"));
        assertEquals(full.size(), same.size());
    }

    @Test
    void listingsAreMostSpecificFirst() {
        RouteTable<String> t =
                new RouteTable<>(
                        RouteSpec.parseAll(
                                "/* -> all.wasm, /a/* -> a.wasm, /a/b -> ab.wasm,"
                                        + " *.x.test/* -> wild.wasm, h.x.test/* -> h.wasm"),
                        RouteSpec::guest);
        assertEquals(List.of("h.wasm", "wild.wasm", "ab.wasm", "a.wasm", "all.wasm"), t.targets());
    }
}
