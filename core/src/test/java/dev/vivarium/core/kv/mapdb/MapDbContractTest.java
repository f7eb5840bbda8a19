package dev.vivarium.core.kv.mapdb;

import dev.vivarium.core.kv.KvBackendContract;
import dev.vivarium.core.kv.KvOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The embedded backend passes the contract every KV backend must. */
class MapDbContractTest extends KvBackendContract {
    @TempDir Path dir;

    @Override
    protected KvOptions.Builder options() {
        return KvOptions.builder(dir).backend(MapDbBackend.NAME);
    }
}
