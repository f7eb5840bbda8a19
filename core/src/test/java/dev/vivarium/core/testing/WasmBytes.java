package dev.vivarium.core.testing;

import java.io.ByteArrayOutputStream;

/**
 * Writes WebAssembly binaries byte by byte, for hostile modules that no text assembler writes
 * (proposals it does not enable, sizes past its limits). Each method appends and returns {@code
 * this}; {@link #module} wraps sections in the header.
 *
 * <pre>{@code
 * byte[] wasm = WasmBytes.module(
 *         WasmBytes.section(1, new WasmBytes().u32(1).b(0x60).u32(0).u32(0)), ...);
 * }</pre>
 */
public final class WasmBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** One raw byte (or opcode). */
    public WasmBytes b(int... bytes) {
        for (int x : bytes) {
            out.write(x);
        }
        return this;
    }

    /** An unsigned LEB128 number. */
    public WasmBytes u32(long v) {
        do {
            int x = (int) (v & 0x7f);
            v >>>= 7;
            out.write(v == 0 ? x : x | 0x80);
        } while (v != 0);
        return this;
    }

    /** A signed LEB128 number. */
    public WasmBytes s32(long v) {
        while (true) {
            int x = (int) (v & 0x7f);
            v >>= 7;
            boolean done = (v == 0 && (x & 0x40) == 0) || (v == -1 && (x & 0x40) != 0);
            out.write(done ? x : x | 0x80);
            if (done) {
                return this;
            }
        }
    }

    /** A name: its length, then its UTF-8 bytes. */
    public WasmBytes name(String s) {
        byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        u32(utf8.length);
        out.write(utf8, 0, utf8.length);
        return this;
    }

    public WasmBytes bytes(byte[] raw) {
        out.write(raw, 0, raw.length);
        return this;
    }

    /** Appends another writer's bytes prefixed by their length (a function body, a section). */
    public WasmBytes sized(WasmBytes content) {
        u32(content.out.size());
        return bytes(content.toBytes());
    }

    public int size() {
        return out.size();
    }

    public byte[] toBytes() {
        return out.toByteArray();
    }

    /** A section: its id, its size, its content. */
    public static byte[] section(int id, WasmBytes content) {
        return new WasmBytes().b(id).sized(content).toBytes();
    }

    /** The {@code \0asm} header and version 1, then the sections in order. */
    public static byte[] module(byte[]... sections) {
        WasmBytes m = new WasmBytes().b(0, 'a', 's', 'm', 1, 0, 0, 0);
        for (byte[] s : sections) {
            m.bytes(s);
        }
        return m.toBytes();
    }

    /** A type section with one {@code () -> ()} function type (index 0). */
    public static byte[] runTypeSection() {
        return section(1, new WasmBytes().u32(1).b(0x60).u32(0).u32(0));
    }

    /** A function section declaring {@code count} functions, all of type 0. */
    public static byte[] functions(int count) {
        WasmBytes w = new WasmBytes().u32(count);
        for (int i = 0; i < count; i++) {
            w.u32(0);
        }
        return section(3, w);
    }

    /** An export section exporting function 0 as {@code run}. */
    public static byte[] exportRun() {
        return section(7, new WasmBytes().u32(1).name("run").b(0x00).u32(0));
    }

    /** A code section with the given bodies (each without its size prefix; the end is added). */
    public static byte[] code(WasmBytes... bodies) {
        WasmBytes w = new WasmBytes().u32(bodies.length);
        for (WasmBytes body : bodies) {
            w.sized(new WasmBytes().bytes(body.toBytes()).b(0x0b));
        }
        return section(10, w);
    }

    /** A function body with no locals, to which instructions are appended. */
    public static WasmBytes body() {
        return new WasmBytes().u32(0);
    }
}
