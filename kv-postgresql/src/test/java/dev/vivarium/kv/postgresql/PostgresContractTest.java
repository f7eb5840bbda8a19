package dev.vivarium.kv.postgresql;

import dev.vivarium.core.kv.KvBackendContract;
import dev.vivarium.core.kv.KvOptions;
import java.nio.file.Path;

/** The PostgreSQL backend passes the contract every KV backend must, each test in a new schema. */
class PostgresContractTest extends KvBackendContract {
    // JUnit makes an instance per test: each test starts with an empty schema
    private final String url = TestPostgres.shared().freshSchema();

    @Override
    protected KvOptions.Builder options() {
        return KvOptions.builder(Path.of("unused"))
                .backend(PostgresBackend.NAME)
                .backendSetting(PgSettings.URL, url)
                .backendSetting(PgSettings.USER, "postgres");
    }
}
