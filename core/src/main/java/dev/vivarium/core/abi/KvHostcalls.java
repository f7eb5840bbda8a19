package dev.vivarium.core.abi;

import static dev.vivarium.core.abi.Hostcall.i;

import com.dylibso.chicory.wasm.types.ValType;
import dev.vivarium.core.kv.KvLimitException;
import dev.vivarium.core.kv.KvStore;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * The KV family: the deployment's key-value store (see {@code guests/ABI.md}, rows {@code
 * hostcall_kvstore_*}). Keys must be valid UTF-8 text; values are bytes. The boolean results are
 * {@code 1} / {@code 0}. A broken {@code kv.*} limit is a limit trap naming the limit and the
 * sizes; nothing is written then.
 */
public final class KvHostcalls implements HostcallFamily {

    @Override
    public List<Hostcall> hostcalls() {
        return List.of(
                Hostcall.i32(
                        "hostcall_kvstore_insert",
                        4,
                        (c, a) -> kvstoreInsert(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]))),
                Hostcall.i32(
                        "hostcall_kvstore_upsert",
                        4,
                        (c, a) -> kvstoreUpsert(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]))),
                Hostcall.i32(
                        "hostcall_kvstore_append",
                        4,
                        (c, a) -> kvstoreAppend(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]))),
                Hostcall.i32(
                        "hostcall_kvstore_get",
                        4,
                        (c, a) -> kvstoreGet(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]))),
                Hostcall.i32(
                        "hostcall_kvstore_remove", 2, (c, a) -> kvstoreRemove(c, i(a[0]), i(a[1]))),
                Hostcall.of(
                        "hostcall_kvstore_insert_ttl",
                        List.of(ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I64),
                        List.of(ValType.I32),
                        (c, a) -> kvstoreInsertTtl(c, i(a[0]), i(a[1]), i(a[2]), i(a[3]), a[4])));
    }

    /** {@code hostcall_kvstore_insert}: put (overwrite); 1 if the key was absent before. */
    public static int kvstoreInsert(
            CallContext ctx, int keyPtr, int keyLen, int valPtr, int valLen) {
        return write(ctx, keyPtr, keyLen, valPtr, valLen, KvStore::insert);
    }

    /**
     * {@code hostcall_kvstore_upsert}: as Terrarium documented it, inserts only if the key is
     * absent; 1 if it was absent (and is now inserted), 0 if it existed (and is unchanged).
     */
    public static int kvstoreUpsert(
            CallContext ctx, int keyPtr, int keyLen, int valPtr, int valLen) {
        return write(ctx, keyPtr, keyLen, valPtr, valLen, KvStore::upsert);
    }

    /** {@code hostcall_kvstore_append}: appends, or inserts if absent; 1 if it was absent. */
    public static int kvstoreAppend(
            CallContext ctx, int keyPtr, int keyLen, int valPtr, int valLen) {
        return write(ctx, keyPtr, keyLen, valPtr, valLen, KvStore::append);
    }

    /**
     * {@code hostcall_kvstore_get}: 1 and a malloc'd copy of the value in {@code (*valPtrP,
     * *valLenP)} (a real allocation even for an empty value: the guest frees it), or 0 and {@code
     * (0, 0)} if the key is absent or expired.
     */
    public static int kvstoreGet(
            CallContext ctx, int valPtrP, int valLenP, int keyPtr, int keyLen) {
        GuestMemory mem = ctx.memory();
        String key = key(ctx, keyPtr, keyLen);
        byte[] value = ctx.kv().get(key);
        if (value == null) {
            mem.writeNothing(valPtrP, valLenP);
            return 0;
        }
        mem.writeOutAllocated(valPtrP, valLenP, value);
        return 1;
    }

    /** {@code hostcall_kvstore_remove}: 1 if the key was there and is removed, 0 if absent. */
    public static int kvstoreRemove(CallContext ctx, int keyPtr, int keyLen) {
        String key = key(ctx, keyPtr, keyLen);
        return ctx.kv().remove(key) ? 1 : 0;
    }

    /**
     * {@code hostcall_kvstore_insert_ttl} (Vivarium extension): {@code hostcall_kvstore_insert}
     * with a time to live of {@code ttlMillis} milliseconds, after which the key reads as absent;
     * {@code ttlMillis <= 0} traps.
     */
    public static int kvstoreInsertTtl(
            CallContext ctx, int keyPtr, int keyLen, int valPtr, int valLen, long ttlMillis) {
        if (ttlMillis <= 0) {
            throw new HostcallTrap("ttl_millis must be greater than zero, got " + ttlMillis);
        }
        Duration ttl = Duration.ofMillis(ttlMillis);
        return write(
                ctx,
                keyPtr,
                keyLen,
                valPtr,
                valLen,
                (kv, key, value) -> kv.insertWithTtl(key, value, ttl));
    }

    /** Reads a key: strict UTF-8, since a key is text that operators list and compare. */
    static String key(CallContext ctx, int keyPtr, int keyLen) {
        byte[] bytes = ctx.memory().read(keyPtr, keyLen, "KV key");
        boolean ascii = true;
        for (byte b : bytes) {
            if (b < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new HostcallTrap(
                    String.format(
                            "KV key at 0x%x (%d bytes) is not valid UTF-8",
                            Integer.toUnsignedLong(keyPtr), bytes.length));
        }
    }

    /** A write to the store; true if the key was absent before. */
    @FunctionalInterface
    private interface Write {
        boolean run(KvStore kv, String key, byte[] value);
    }

    /**
     * What every writing hostcall does around its own store call: reads the key, then the value,
     * then finds the store (so a bad argument traps before anything else happens), and returns 1 if
     * the key was absent, 0 if not; a broken limit is a limit trap, with nothing written.
     */
    private static int write(
            CallContext ctx, int keyPtr, int keyLen, int valPtr, int valLen, Write op) {
        String key = key(ctx, keyPtr, keyLen);
        byte[] value = ctx.memory().read(valPtr, valLen, "KV value");
        KvStore kv = ctx.kv();
        try {
            return op.run(kv, key, value) ? 1 : 0;
        } catch (KvLimitException e) {
            throw HostcallTrap.limit(e.getMessage());
        }
    }
}
