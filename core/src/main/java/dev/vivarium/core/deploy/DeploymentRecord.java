package dev.vivarium.core.deploy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An uploaded deployment as a {@link DeploymentRepository} keeps it: everything needed to bring it
 * back on this node or another.
 *
 * @param id the deployment id
 * @param route its route entry, {@code MATCH -> MODULE; id=ID [; key=value]...}
 * @param moduleName the module's file name, {@code ID.wasm} or {@code ID.wat}
 * @param module the module as uploaded
 * @param deployedAt when it was uploaded
 * @param expiresAt when it is removed with its KV store
 * @param bundle the directory of its bundle's assets ({@link Bundle#directory()}), or null for a
 *     deployment without assets
 */
public record DeploymentRecord(
        String id,
        String route,
        String moduleName,
        byte[] module,
        Instant deployedAt,
        Instant expiresAt,
        java.nio.file.Path bundle) {

    /** A deployment without assets. */
    public DeploymentRecord(
            String id,
            String route,
            String moduleName,
            byte[] module,
            Instant deployedAt,
            Instant expiresAt) {
        this(id, route, moduleName, module, deployedAt, expiresAt, null);
    }

    public DeploymentRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(moduleName, "moduleName");
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(deployedAt, "deployedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /**
     * What tells one version from another (a digest of the route, the module and the lifetime): a
     * registry that finds a different version in the repository than the one it runs loads it.
     */
    public String version() {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(
                    (route
                                    + '\n'
                                    + moduleName
                                    + '\n'
                                    + deployedAt
                                    + '\n'
                                    + expiresAt
                                    + '\n'
                                    + (bundle == null ? "" : bundle.getFileName() + "\n"))
                            .getBytes(StandardCharsets.UTF_8));
            d.update(module);
            return HexFormat.of().formatHex(d.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeploymentRecord r && version().equals(r.version()) && id.equals(r.id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return id + " (" + route + ", " + module.length + " bytes, expires " + expiresAt + ")";
    }
}
