package dev.vivarium.core.kv.memory;

import dev.vivarium.core.kv.KvBackendContract;
import dev.vivarium.core.kv.KvOptions;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A backend from outside core's kv packages passes the contract with nothing but its provider on
 * the classpath and this class: what a {@code vivarium-kv-postgresql} module does.
 */
class MemoryContractTest extends KvBackendContract {
    // JUnit makes an instance per test: each test starts with an empty space
    private final String space = "contract-" + UUID.randomUUID();

    @Override
    protected KvOptions.Builder options() {
        return KvOptions.builder(Path.of("unused"))
                .backend(MemoryKvBackend.NAME)
                .backendSetting(MemoryKvBackend.SPACE, space);
    }
}
