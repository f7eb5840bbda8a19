package dev.vivarium.core.deploy;

/**
 * What an upload did: the deployment as it now runs, and whether it replaced one (the admin API
 * answers 200 then, 201 for a new one).
 */
public record UploadResult(DeploymentInfo deployment, boolean replaced) {
    public int status() {
        return replaced ? 200 : 201;
    }

    /** The deployment as JSON, the body of the admin API's answer. */
    public String toJson() {
        return deployment.toJson();
    }

    /** As {@link #toJson()}, with its URLs under {@code base} (see {@link DeploymentInfo#urls}). */
    public String toJson(String base) {
        return deployment.toJson(base);
    }
}
