package dev.vivarium.core.outbound;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for TLS tests, made with the JDK's own {@code keytool} (no test key
 * material is checked in, and nothing expires in the repository).
 */
public final class TestCertificates {
    public static final String PASSWORD = "test-secret";

    private TestCertificates() {}

    /**
     * A PKCS12 key store (password {@link #PASSWORD}) with an EC key and a self-signed certificate
     * for the given subject alternative names, e.g. {@code ip:127.0.0.1,dns:localhost}.
     */
    public static Path serverKeyStore(Path dir, String name, String subjectAltNames)
            throws IOException, InterruptedException {
        Path store = dir.resolve(name + ".p12");
        keytool(
                "-genkeypair",
                "-alias",
                name,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + name,
                "-ext",
                "SAN=" + subjectAltNames,
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                PASSWORD);
        return store;
    }

    /** The certificate of {@code keyStore}'s entry {@code name}, as a PEM file. */
    public static Path exportPem(Path keyStore, String name, Path pem)
            throws IOException, InterruptedException {
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                name,
                "-keystore",
                keyStore.toString(),
                "-storepass",
                PASSWORD,
                "-file",
                pem.toString());
        return pem;
    }

    /** A PKCS12 trust store (password {@code password}) holding the certificate in {@code pem}. */
    public static Path trustStore(Path pem, Path store, String password)
            throws IOException, InterruptedException {
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                pem.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                password);
        return store;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("keytool did not finish within 60 s: " + cmd);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("keytool failed (" + p.exitValue() + "): " + cmd + "\n" + out);
        }
    }
}
