package dev.vivarium.core.deploy;

import java.util.List;
import java.util.stream.Collectors;

/** The admin API's answer to {@code GET .../deployments}: configured ones first. */
public record DeploymentList(List<DeploymentInfo> deployments) {
    public DeploymentList {
        deployments = List.copyOf(deployments);
    }

    public String toJson() {
        return deployments.stream()
                .map(DeploymentInfo::toJson)
                .collect(Collectors.joining(",", "{\"deployments\":[", "]}"));
    }
}
