package dev.vivarium.core.deploy;

import java.io.IOException;

/**
 * A {@link DeploymentRepository} cannot be reached now (a database that is down): an upload or a
 * removal is answered 503, and the deployments already running go on.
 */
public class RepositoryUnavailableException extends IOException {
    public RepositoryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
