package dev.vivarium.core.log;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.helpers.MessageFormatter;

/** A real SLF4J {@link Logger} that keeps every INFO line it is given, formatted, for tests. */
final class CapturingLogger {
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    final Logger logger;

    CapturingLogger() {
        this.logger =
                (Logger)
                        Proxy.newProxyInstance(
                                Logger.class.getClassLoader(),
                                new Class<?>[] {Logger.class},
                                (proxy, method, args) -> {
                                    String name = method.getName();
                                    if (name.startsWith("is")) {
                                        return true;
                                    }
                                    if (name.equals("getName")) {
                                        return "capturing";
                                    }
                                    if (name.equals("info") && args[0] instanceof String format) {
                                        Object[] rest;
                                        if (args.length == 2 && args[1] instanceof Object[] a) {
                                            rest = a;
                                        } else {
                                            rest =
                                                    java.util.Arrays.copyOfRange(
                                                            args, 1, args.length);
                                        }
                                        lines.add(
                                                MessageFormatter.arrayFormat(format, rest)
                                                        .getMessage());
                                    }
                                    return null;
                                });
    }

    long bytes() {
        synchronized (lines) {
            return lines.stream().mapToLong(String::length).sum();
        }
    }
}
