package dev.vivarium.core.kv.mapdb;

import java.io.IOException;
import org.mapdb.DataInput2;
import org.mapdb.DataOutput2;
import org.mapdb.Serializer;

/**
 * A value as stored: the bytes and when they expire ({@code 0} = never, else epoch millis on the
 * store's clock). Keeping the expiry next to the bytes lets a read decide in one lookup.
 */
record StoredValue(long expiresAt, byte[] data) {

    boolean expiredAt(long nowMillis) {
        return expiresAt != 0 && expiresAt <= nowMillis;
    }

    /** On-disk form: packed expiry, packed length, bytes. Deserializes into one fresh array. */
    static final class Codec implements Serializer<StoredValue> {
        static final Codec INSTANCE = new Codec();

        @Override
        public void serialize(DataOutput2 out, StoredValue value) throws IOException {
            out.packLong(value.expiresAt);
            out.packInt(value.data.length);
            out.write(value.data);
        }

        @Override
        public StoredValue deserialize(DataInput2 in, int available) throws IOException {
            long expiresAt = in.unpackLong();
            byte[] data = new byte[in.unpackInt()];
            in.readFully(data);
            return new StoredValue(expiresAt, data);
        }

        @Override
        public boolean isTrusted() {
            return true;
        }

        @Override
        public boolean equals(StoredValue a, StoredValue b) {
            return a.expiresAt == b.expiresAt && java.util.Arrays.equals(a.data, b.data);
        }

        @Override
        public int hashCode(StoredValue v, int seed) {
            return java.util.Arrays.hashCode(v.data) * 31 + Long.hashCode(v.expiresAt) + seed;
        }
    }
}
