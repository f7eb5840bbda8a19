package dev.vivarium.core.deploy;

import java.time.Instant;

/**
 * One deployment as operators see it: configured in {@code routes}, or uploaded at run time.
 *
 * @param id the deployment id (names its KV store)
 * @param route its route, as {@code MATCH -> GUEST [; key=value]...}
 * @param uploaded whether it was uploaded at run time (and so expires)
 * @param deployedAt when it was uploaded; null for a configured one
 * @param expiresAt when it is removed with its KV store; null for a configured one
 * @param moduleBytes the size of its module as loaded
 * @param kv whether its guest uses the key-value store
 */
public record DeploymentInfo(
        String id,
        String route,
        boolean uploaded,
        Instant deployedAt,
        Instant expiresAt,
        long moduleBytes,
        boolean kv) {

    /** As a JSON object. */
    public String toJson() {
        return "{\"id\":"
                + Json.string(id)
                + ",\"route\":"
                + Json.string(route)
                + ",\"uploaded\":"
                + uploaded
                + ",\"deployedAt\":"
                + (deployedAt == null ? "null" : Json.string(deployedAt.toString()))
                + ",\"expiresAt\":"
                + (expiresAt == null ? "null" : Json.string(expiresAt.toString()))
                + ",\"moduleBytes\":"
                + moduleBytes
                + ",\"kv\":"
                + kv
                + "}";
    }
}
