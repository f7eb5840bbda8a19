package dev.vivarium.kv.postgresql;

import java.lang.reflect.Proxy;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.spi.InitialContextFactory;

/**
 * A JNDI naming context for the tests, as a servlet container provides one ({@code
 * java.naming.factory.initial}): {@link #bind} puts an object under a name, lookups find it.
 */
public final class TestJndi implements InitialContextFactory {
    static final Map<String, Object> BOUND = new ConcurrentHashMap<>();

    static void bind(String name, Object o) {
        BOUND.put(name, o);
        System.setProperty(Context.INITIAL_CONTEXT_FACTORY, TestJndi.class.getName());
    }

    @Override
    public Context getInitialContext(Hashtable<?, ?> environment) {
        return (Context)
                Proxy.newProxyInstance(
                        Context.class.getClassLoader(),
                        new Class<?>[] {Context.class},
                        (proxy, method, args) -> {
                            switch (method.getName()) {
                                case "lookup":
                                    Object o = BOUND.get(String.valueOf(args[0]));
                                    if (o == null) {
                                        throw new NameNotFoundException(String.valueOf(args[0]));
                                    }
                                    return o;
                                case "close":
                                    return null;
                                default:
                                    throw new UnsupportedOperationException(method.getName());
                            }
                        });
    }
}
