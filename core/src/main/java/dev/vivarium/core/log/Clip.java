package dev.vivarium.core.log;

/** Cuts client- or guest-supplied text before it goes into a log line. */
public final class Clip {
    private Clip() {}

    /**
     * {@code text} if at most {@code max} characters, else its first {@code max} and a note of how
     * many were cut; control characters but tab become {@code ?}, so a line stays one line.
     */
    public static String clip(String text, int max) {
        if (text == null) {
            return "null";
        }
        boolean cut = text.length() > max;
        String kept = cut ? text.substring(0, max) : text;
        StringBuilder sb = null;
        for (int i = 0; i < kept.length(); i++) {
            char c = kept.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                if (sb == null) {
                    sb = new StringBuilder(kept);
                }
                sb.setCharAt(i, '?');
            }
        }
        String s = sb == null ? kept : sb.toString();
        return cut ? s + "...(" + (text.length() - max) + " more characters)" : s;
    }
}
