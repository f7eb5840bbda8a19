package dev.vivarium.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Bundles as a client would upload them, written byte by byte here so that tests can also write the
 * hostile ones no well-behaved tool makes: a name with {@code ../}, the same entry twice, a
 * symbolic link in a tar.
 */
public final class TestBundles {
    private TestBundles() {}

    /** One entry: a file (data), a directory (name ending in '/'), or a tar link. */
    public record Entry(String name, byte[] data, char tarType, String linkName) {
        public static Entry file(String name, byte[] data) {
            return new Entry(name, data, '0', "");
        }

        public static Entry file(String name, String text) {
            return file(name, text.getBytes(StandardCharsets.UTF_8));
        }

        public static Entry directory(String name) {
            return new Entry(name.endsWith("/") ? name : name + "/", new byte[0], '5', "");
        }

        public static Entry symlink(String name, String target) {
            return new Entry(name, new byte[0], '2', target);
        }

        public static Entry hardlink(String name, String target) {
            return new Entry(name, new byte[0], '1', target);
        }
    }

    /** The entries as a zip (deflated); tar links become plain files. */
    public static byte[] zip(List<Entry> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Entry e : entries) {
                zip.putNextEntry(new ZipEntry(e.name()));
                zip.write(e.data());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * A zip with the same entry twice: {@link ZipOutputStream} refuses that, so the second is
     * written under another name of the same length and renamed in the bytes.
     */
    public static byte[] zipWithDuplicate(String name, byte[] a, byte[] b, List<Entry> others) {
        String other = "#".repeat(name.length());
        List<Entry> all = new ArrayList<>(others);
        all.add(Entry.file(name, a));
        all.add(Entry.file(other, b));
        byte[] zip = zip(all);
        byte[] from = other.getBytes(StandardCharsets.UTF_8);
        byte[] to = name.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + from.length <= zip.length; i++) {
            if (Arrays.equals(zip, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, zip, i, to.length);
            }
        }
        return zip;
    }

    /** The entries as a gzip-compressed ustar archive. */
    public static byte[] tarGz(List<Entry> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            for (Entry e : entries) {
                gz.write(header(e));
                gz.write(e.data());
                int pad = (512 - e.data().length % 512) % 512;
                gz.write(new byte[pad]);
            }
            gz.write(new byte[1024]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static byte[] header(Entry e) {
        byte[] h = new byte[512];
        byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
        if (name.length > 100) {
            throw new IllegalArgumentException("test tar names are at most 100 bytes");
        }
        System.arraycopy(name, 0, h, 0, name.length);
        octal(h, 100, 8, e.tarType() == '5' ? 0755 : 0644);
        octal(h, 108, 8, 1000);
        octal(h, 116, 8, 1000);
        octal(h, 124, 12, e.data().length);
        octal(h, 136, 12, 1_700_000_000L);
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) e.tarType();
        byte[] link = e.linkName().getBytes(StandardCharsets.UTF_8);
        System.arraycopy(link, 0, h, 157, link.length);
        System.arraycopy("ustar\0".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 6);
        h[263] = '0';
        h[264] = '0';
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        h[155] = ' ';
        return h;
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        String padded = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        byte[] b = padded.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
        h[off + len - 1] = 0;
    }
}
