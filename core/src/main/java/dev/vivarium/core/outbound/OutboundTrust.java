package dev.vivarium.core.outbound;

import dev.vivarium.core.config.ConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Collections;

/** Reads {@code outbound.trustStore}: a PKCS12 or JKS key store, or PEM certificates. */
final class OutboundTrust {
    private OutboundTrust() {}

    /**
     * The trusted certificates in {@code file}.
     *
     * @throws ConfigurationException naming the setting and the file: missing, unreadable, a wrong
     *     password, or no certificate in it
     */
    static KeyStore load(Path file, String password) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw bad(file, "cannot read it (" + e + ")");
        }
        KeyStore store = looksLikePem(bytes) ? fromPem(file, bytes) : fromKeyStore(file, password);
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.getCertificate(alias) != null) {
                    return store;
                }
            }
        } catch (GeneralSecurityException e) {
            throw bad(file, e.toString());
        }
        throw bad(file, "it holds no certificate");
    }

    private static boolean looksLikePem(byte[] bytes) {
        String head =
                new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.ISO_8859_1);
        return head.contains("-----BEGIN ");
    }

    private static KeyStore fromPem(Path file, byte[] bytes) {
        try {
            Collection<? extends Certificate> certs =
                    CertificateFactory.getInstance("X.509")
                            .generateCertificates(new ByteArrayInputStream(bytes));
            if (certs.isEmpty()) {
                throw bad(file, "no CERTIFICATE block in this PEM file");
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                store.setCertificateEntry("pem-" + i++, c);
            }
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw bad(file, "not a valid PEM certificate file (" + e.getMessage() + ")");
        }
    }

    private static KeyStore fromKeyStore(Path file, String password) {
        try {
            return KeyStore.getInstance(
                    file.toFile(), password == null ? null : password.toCharArray());
        } catch (IOException e) {
            String why =
                    e.getCause() instanceof java.security.UnrecoverableKeyException
                            ? "wrong outbound.trustStorePassword"
                            : e.getMessage();
            throw bad(file, "cannot open it as a key store (" + why + ")");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw bad(
                    file,
                    "neither a PKCS12 or JKS key store nor a PEM certificate file ("
                            + e.getMessage()
                            + ")");
        }
    }

    private static ConfigurationException bad(Path file, String why) {
        return new ConfigurationException(
                "Vivarium setting 'outbound.trustStore' (" + file + "): " + why);
    }
}
