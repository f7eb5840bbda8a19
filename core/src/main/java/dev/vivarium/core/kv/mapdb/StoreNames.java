package dev.vivarium.core.kv.mapdb;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Maps deployment ids to directory names and back, so that any id is a safe file name and two ids
 * never share a directory. Letters, digits, {@code _} and {@code -} stay as they are except upper
 * case letters; every other byte of the id's UTF-8 form, and upper case letters (so that ids that
 * differ only in case stay apart on case-insensitive file systems), becomes {@code %XX}. No name
 * can be {@code .} or {@code ..} or contain a separator.
 */
final class StoreNames {
    /** Longest encoded name: file systems allow 255 bytes, MapDB adds its own suffixes inside. */
    static final int MAX_NAME = 200;

    private StoreNames() {}

    /**
     * @throws IllegalArgumentException if the id is empty or too long to be a file name
     */
    static String encode(String deploymentId) {
        if (deploymentId.isEmpty()) {
            throw new IllegalArgumentException("a deployment id must not be empty");
        }
        StringBuilder sb = new StringBuilder();
        for (byte b : deploymentId.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
                sb.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        if (sb.length() > MAX_NAME) {
            throw new IllegalArgumentException(
                    "deployment id '"
                            + deploymentId
                            + "' is too long for a KV store name ("
                            + sb.length()
                            + " characters encoded, at most "
                            + MAX_NAME
                            + ")");
        }
        return sb.toString();
    }

    /** The id a directory name stands for, or null if it is not a name {@link #encode} makes. */
    static String decode(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%') {
                if (i + 2 >= name.length()) {
                    return null;
                }
                int hi = Character.digit(name.charAt(i + 1), 16);
                int lo = Character.digit(name.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(c);
            }
        }
        String id = new String(out.toByteArray(), StandardCharsets.UTF_8);
        try {
            return encode(id).equals(name) ? id : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
