package dev.vivarium.core.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Reads a tar stream (POSIX ustar, with pax {@code path} records and GNU long names, as GNU tar,
 * bsdtar and Python's tarfile write them) entry by entry, without buffering an entry's data: {@link
 * #data()} streams the current entry, bounded by its size. Headers with a bad checksum, sizes that
 * are not numbers and pax records that do not parse are {@link IOException}s ("not a tar").
 */
final class TarReader {
    private static final int BLOCK = 512;

    /** Pax and GNU long-name headers are small; a larger one is not a real archive. */
    private static final long MAX_META = 64 * 1024;

    enum Type {
        FILE,
        DIRECTORY,
        SYMLINK,
        HARDLINK,
        OTHER
    }

    record Entry(String name, Type type, long size, Instant mtime) {}

    /** The stream is not a tar archive (or ends too soon): the client's bad input. */
    static final class BadArchive extends IOException {
        BadArchive(String message) {
            super(message);
        }
    }

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];
    private long remaining; // of the current entry's data
    private long padding;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the archive. */
    Entry next() throws IOException {
        skip(remaining + padding);
        remaining = 0;
        padding = 0;
        String longName = null;
        String paxPath = null;
        Long paxSize = null;
        while (true) {
            if (!readBlock()) {
                return null;
            }
            if (isZero(header)) {
                return null; // the end-of-archive marker: whatever follows is not read
            }
            checkChecksum();
            char flag = (char) header[156];
            long size = number(124, 12);
            if (flag == 'L' || flag == 'x' || flag == 'g') {
                if (size > MAX_META) {
                    throw new BadArchive("not a tar archive: a " + size + "-byte meta header");
                }
                byte[] meta = in.readNBytes((int) size);
                if (meta.length != size) {
                    throw new BadArchive("the tar archive ends inside a header");
                }
                skip(pad(size));
                if (flag == 'L') {
                    longName = cString(meta, 0, meta.length);
                } else if (flag == 'x') {
                    String[] pax = pax(meta);
                    if (pax[0] != null) {
                        paxPath = pax[0];
                    }
                    if (pax[1] != null) {
                        paxSize = parseLong(pax[1]);
                    }
                }
                continue;
            }
            String name = paxPath != null ? paxPath : longName != null ? longName : ustarName();
            if (paxSize != null) {
                size = paxSize;
            }
            Type type =
                    switch (flag) {
                        case '0', '\0', '7' -> Type.FILE;
                        case '5' -> Type.DIRECTORY;
                        case '2' -> Type.SYMLINK;
                        case '1' -> Type.HARDLINK;
                        default -> Type.OTHER;
                    };
            if (type == Type.FILE && name.endsWith("/")) {
                type = Type.DIRECTORY; // old tars mark directories with a slash only
            }
            if (type == Type.DIRECTORY && size > 0) {
                // inflating data nobody reads would escape the bundle's size limits
                throw new BadArchive("not a tar archive: a directory entry with data");
            }
            long mtime = number(136, 12);
            remaining = type == Type.FILE ? size : 0;
            // directories and links carry no data, but the header's size says what to skip
            padding = (type == Type.FILE ? 0 : size) + pad(size);
            return new Entry(name, type, size, mtime > 0 ? Instant.ofEpochSecond(mtime) : null);
        }
    }

    /** The current entry's data. */
    InputStream data() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] b = new byte[1];
                return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new BadArchive("the tar archive ends inside an entry");
                }
                remaining -= n;
                return n;
            }
        };
    }

    private String ustarName() {
        String name = cString(header, 0, 100);
        boolean ustar =
                header[257] == 'u'
                        && header[258] == 's'
                        && header[259] == 't'
                        && header[260] == 'a'
                        && header[261] == 'r';
        if (ustar) {
            String prefix = cString(header, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
        }
        return name;
    }

    /** {@code path} and {@code size} from pax records {@code "LEN key=value\n"}. */
    private static String[] pax(byte[] meta) throws IOException {
        String[] out = new String[2];
        int i = 0;
        while (i < meta.length) {
            int sp = i;
            while (sp < meta.length && meta[sp] != ' ') {
                sp++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(meta, i, sp - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new BadArchive("not a tar archive: a pax record without a length");
            }
            if (len <= sp - i || i + len > meta.length) {
                throw new BadArchive("not a tar archive: a pax record of a wrong length");
            }
            String record = new String(meta, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                String key = record.substring(0, eq);
                if (key.equals("path")) {
                    out[0] = record.substring(eq + 1);
                } else if (key.equals("size")) {
                    out[1] = record.substring(eq + 1);
                }
            }
            i += len;
        }
        return out;
    }

    private static long parseLong(String s) throws IOException {
        try {
            long v = Long.parseLong(s.strip());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new BadArchive("not a tar archive: a size that is not a number");
        }
    }

    private boolean readBlock() throws IOException {
        int n = in.readNBytes(header, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw new BadArchive("the tar archive ends inside a header");
        }
        return true;
    }

    private void checkChecksum() throws IOException {
        long stored = number(148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xff);
        }
        if (sum != stored) {
            throw new BadArchive("not a tar archive: a header's checksum is wrong");
        }
    }

    /** An octal field (or GNU base-256 when the high bit is set). */
    private long number(int off, int len) throws IOException {
        if ((header[off] & 0x80) != 0) {
            long v = 0;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (header[i] & 0xff);
                if (v < 0) {
                    throw new BadArchive("not a tar archive: a number too large");
                }
            }
            return v;
        }
        long v = 0;
        boolean digits = false;
        for (int i = off; i < off + len; i++) {
            byte b = header[i];
            if (b == 0 || (b == ' ' && digits)) {
                break;
            }
            if (b == ' ' && !digits) {
                continue;
            }
            if (b < '0' || b > '7') {
                throw new BadArchive("not a tar archive: a header field is not a number");
            }
            digits = true;
            v = v * 8 + (b - '0');
        }
        return v;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static long pad(long size) {
        long r = size % BLOCK;
        return r == 0 ? 0 : BLOCK - r;
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            long s = in.skip(n);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new BadArchive("the tar archive ends inside an entry");
                }
                s = 1;
            }
            n -= s;
        }
    }
}
