package dev.vivarium.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vivarium.client.MiniJson;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeployCommandTest {
    @SuppressWarnings("unchecked")
    @Test
    void deployPrintsTheHostNamesTheServerNames() {
        Map<String, Object> info =
                (Map<String, Object>)
                        MiniJson.parse(
                                "{\"id\":\"a\",\"url\":\"http://a.example.test/\","
                                        + "\"urls\":[\"http://a.example.test/\",\"http://x/a/\"]}");
        assertEquals(
                List.of("http://a.example.test/", "http://x/a/"), DeployCommand.serverUrls(info));
        assertEquals(List.of(), DeployCommand.serverUrls(Map.of("id", "a")));
    }
}
