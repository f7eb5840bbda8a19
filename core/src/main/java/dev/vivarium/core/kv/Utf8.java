package dev.vivarium.core.kv;

/** UTF-8 sizes of keys without encoding them. */
final class Utf8 {
    private Utf8() {}

    /** Bytes of {@code s} in UTF-8; an unpaired surrogate counts as the 3 bytes it would take. */
    static int length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes += 1;
                } else if (Character.isHighSurrogate(c)
                        && i + 1 < n
                        && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 2;
                    i++;
                } else {
                    bytes += 2;
                }
            }
        }
        return bytes;
    }
}
