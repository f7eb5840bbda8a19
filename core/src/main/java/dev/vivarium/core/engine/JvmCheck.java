package dev.vivarium.core.engine;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names the guest functions HotSpot would leave in its bytecode interpreter.
 *
 * <p>Chicory compiles each wasm function to one JVM method. HotSpot's JIT skips methods larger than
 * 8000 bytes of bytecode unless the JVM runs with {@code -XX:-DontCompileHugeMethods}, and real
 * guests have such functions (the Rust {@code http} crate's header-name parser is one: without the
 * flag a Rust hello guest's request took about 1.7x as long in the engine, bench/README.md). {@link
 * FunctionSplitter} splits them before they are compiled; what it cannot split is named here, at
 * load time, when the JVM runs without the flag.
 */
public final class JvmCheck {
    private static final Logger LOG = LoggerFactory.getLogger(JvmCheck.class);

    private JvmCheck() {}

    /** HotSpot's {@code HugeMethodLimit}: larger methods stay interpreted at default flags. */
    public static final int HUGE_METHOD_LIMIT = 8000;

    /**
     * Warns, naming them, about the guest functions that compiled to methods HotSpot will not
     * JIT-compile at this JVM's flags; {@code compiledJar} is what Chicory's compiler hands its
     * cache (a jar of the generated classes).
     */
    static void warnAboutHugeFunctions(String guest, byte[] compiledJar) {
        List<String> huge;
        try {
            huge = hugeFunctions(compiledJar);
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: cannot read the compiled classes' method sizes", guest, e);
            return;
        }
        if (!huge.isEmpty()) {
            LOG.warn(
                    "{}: compiled to JVM methods over {} bytes of bytecode, which this JVM never"
                            + " JIT-compiles, {} run in its bytecode interpreter (Vivarium could not"
                            + " split them): split them in the guest's source, or start the JVM"
                            + " with -XX:-DontCompileHugeMethods (docs/operations.md#the-jvm)",
                    guest,
                    HUGE_METHOD_LIMIT,
                    String.join(", ", huge));
        }
    }

    /**
     * The wasm functions (by index, imports counted, as Chicory numbers them) whose compiled JVM
     * method is over {@link #HUGE_METHOD_LIMIT} bytes, each as {@code "function N (B bytes)"}.
     */
    static List<String> hugeFunctions(byte[] compiledJar) throws IOException {
        List<String> huge = new ArrayList<>();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(compiledJar))) {
            for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                if (!e.getName().endsWith(".class")) {
                    continue;
                }
                readMethods(
                        in.readAllBytes(),
                        (method, codeLength) -> {
                            if (codeLength > HUGE_METHOD_LIMIT && method.startsWith("func_")) {
                                huge.add(
                                        "function "
                                                + method.substring(5)
                                                + " ("
                                                + codeLength
                                                + " bytes)");
                            }
                        });
            }
        }
        return huge;
    }

    private interface MethodSink {
        void method(String name, int codeLength);
    }

    /** Each method's name and bytecode length, read from a class file (JVMS 4). */
    private static void readMethods(byte[] classFile, MethodSink sink) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        in.readInt(); // magic
        in.readInt(); // minor, major version
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7, 8, 16, 19, 20 -> in.readUnsignedShort();
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                case 5, 6 -> {
                    in.readLong();
                    i++; // takes two entries
                }
                case 15 -> {
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        in.readUnsignedShort(); // access flags
        in.readUnsignedShort(); // this class
        in.readUnsignedShort(); // super class
        in.skipNBytes(2L * in.readUnsignedShort()); // interfaces
        int fields = in.readUnsignedShort();
        for (int i = 0; i < fields; i++) {
            in.skipNBytes(6); // access, name, descriptor
            skipAttributes(in);
        }
        int methods = in.readUnsignedShort();
        for (int i = 0; i < methods; i++) {
            in.readUnsignedShort(); // access
            String name = utf8[in.readUnsignedShort()];
            in.readUnsignedShort(); // descriptor
            int attributes = in.readUnsignedShort();
            for (int j = 0; j < attributes; j++) {
                String attribute = utf8[in.readUnsignedShort()];
                int length = in.readInt();
                if ("Code".equals(attribute)) {
                    in.readInt(); // max stack, max locals
                    int codeLength = in.readInt();
                    sink.method(name, codeLength);
                    in.skipNBytes(length - 8L);
                } else {
                    in.skipNBytes(length);
                }
            }
        }
    }

    private static void skipAttributes(DataInputStream in) throws IOException {
        int attributes = in.readUnsignedShort();
        for (int j = 0; j < attributes; j++) {
            in.readUnsignedShort();
            in.skipNBytes(in.readInt());
        }
    }

    public static boolean hugeMethodsStayInterpreted() {
        try {
            var bean =
                    ManagementFactory.getPlatformMXBean(
                            com.sun.management.HotSpotDiagnosticMXBean.class);
            return bean != null
                    && Boolean.parseBoolean(bean.getVMOption("DontCompileHugeMethods").getValue());
        } catch (RuntimeException | LinkageError e) {
            return false; // not HotSpot: nothing to say
        }
    }
}
