package dev.vivarium.core.deploy;

import java.util.List;
import java.util.stream.Collectors;

/** The admin API's answer to {@code GET .../deployments}: configured ones first. */
public record DeploymentList(List<DeploymentInfo> deployments) {
    public DeploymentList {
        deployments = List.copyOf(deployments);
    }

    public String toJson() {
        return toJson(null);
    }

    /** As JSON, each with its URLs under {@code base} (see {@link DeploymentInfo#urls}). */
    public String toJson(String base) {
        return deployments.stream()
                .map(d -> d.toJson(base))
                .collect(Collectors.joining(",", "{\"deployments\":[", "]}"));
    }
}
