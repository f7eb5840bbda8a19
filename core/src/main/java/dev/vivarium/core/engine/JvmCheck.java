package dev.vivarium.core.engine;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns once per JVM when HotSpot would leave large compiled guest functions in its bytecode
 * interpreter.
 *
 * <p>Chicory compiles each wasm function to one JVM method. HotSpot's JIT skips methods larger than
 * 8000 bytes of bytecode unless the JVM runs with {@code -XX:-DontCompileHugeMethods}, and real
 * guests have such functions (the Rust {@code http} crate's header-name parser is one), so without
 * the flag a Rust hello guest's request takes about 3.5x as long in the engine (bench/README.md).
 * The flag cannot be changed at run time, so the engine can only say so.
 */
public final class JvmCheck {
    private static final Logger LOG = LoggerFactory.getLogger(JvmCheck.class);
    private static final AtomicBoolean DONE = new AtomicBoolean();

    private JvmCheck() {}

    public static void warnIfHugeMethodsStayInterpreted() {
        if (!DONE.compareAndSet(false, true) || !hugeMethodsStayInterpreted()) {
            return;
        }
        LOG.warn(
                "This JVM does not JIT-compile methods over 8000 bytes of bytecode, and guests"
                        + " compile to such methods: large guests (e.g. Rust ones) take about 3.5x"
                        + " as long. Start the JVM with -XX:-DontCompileHugeMethods.");
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
