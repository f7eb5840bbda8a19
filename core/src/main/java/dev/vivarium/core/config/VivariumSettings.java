package dev.vivarium.core.config;

import dev.vivarium.core.config.Setting.Kind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every Vivarium setting, declared once: name, kind of value, default, unit and one line of doc.
 * The same names are the servlet filter's init-params, the Jetty handler's {@code setSetting} names
 * and the Jetty module's {@code jetty.vivarium.<name>} properties.
 *
 * <h2>Adding a setting</h2>
 *
 * <ol>
 *   <li>Declare it here, in its group (the order here is the order of the docs):
 *       <pre>{@code
 * public static final Setting<String> KV_BACKEND =
 *         declare(Setting.of("kv.backend", Kind.oneOf("mapdb"), "mapdb", "where KV stores live"));
 * }</pre>
 *       Kinds: {@link Kind#text}, {@link Kind#secret}, {@link Kind#path(String)}, {@link
 *       Kind#duration}, {@link Kind#size}, {@link Kind#integer}, {@link Kind#bool}, {@link
 *       Kind#list}, {@link Kind#oneOf}. Add {@code .unit("requests")} when a number's unit is not
 *       obvious, {@code .defaultText("2 × CPUs")} when the default is computed at start (then pass
 *       a null default), {@code .example("8")} for the value the Jetty {@code [ini-template]}
 *       shows.
 *   <li>Read it where its options are parsed (from {@code VivariumOptions.parse}): {@code
 *       settings.get(VivariumSettings.KV_BACKEND)} gives the value parsed, or the default ({@code
 *       Settings} refuses to read a setting not declared here). {@code VivariumSettingsTest} fails
 *       while a declared setting is never read; {@code InitParamsTest} (servlet-filter) asks for a
 *       sample value of a setting that has neither a default nor an example.
 *   <li>Regenerate the files derived from this list, and commit them:
 *       <pre>{@code
 * mvn -B -q -pl core compile && java -cp core/target/classes dev.vivarium.core.config.SettingsDocs
 * }</pre>
 *       It rewrites the generated parts of {@code docs/configuration.md}, the Jetty module's {@code
 *       modules/vivarium.mod} ({@code [ini-template]}) and {@code etc/vivarium.xml}. {@code
 *       SettingsDocsTest} (core) and {@code ModuleFilesTest} (jetty-module) fail while any of them
 *       is stale. After a rebase that brings other settings, run it again rather than merging the
 *       generated parts by hand.
 * </ol>
 *
 * <p>Values may use {@code ${env.NAME}} and {@code ${sys.NAME}} placeholders ({@link
 * Placeholders}), resolved before they are parsed. Route parameters ({@code deadline=}, {@code
 * outbound=}, {@code id=} in a route) are not settings: {@code routing.RouteSpec} reads them.
 * Anything else that lists the settings (an IDE metadata file, a CLI's help) should read {@link
 * #all()}. A plug-in's own settings (a KV backend's {@code KvBackendProvider.settings()}, e.g.
 * {@code kv.jdbc.url}) are declared by the plug-in, read with {@link Settings#declaredBy} and
 * documented with it (see {@code docs/kv-backends.md}).
 */
public final class VivariumSettings {
    private VivariumSettings() {}

    // first, so that every declaration below can add itself
    private static final Map<String, Setting<?>> BY_NAME = new LinkedHashMap<>();

    private static <T> Setting<T> declare(Setting<T> setting) {
        if (BY_NAME.putIfAbsent(setting.name(), setting) != null) {
            throw new IllegalStateException("setting '" + setting.name() + "' is declared twice");
        }
        return setting;
    }

    /** The largest body a Java array (and so a guest request or response) can hold. */
    public static final long MAX_BODY_LIMIT = Integer.MAX_VALUE - 8;

    /** KV values are Java arrays too, with room for the store's own header. */
    public static final long MAX_KV_VALUE_LIMIT = Integer.MAX_VALUE - 64;

    // ---- engine -------------------------------------------------------------------------------

    public static final Setting<String> ROUTES =
            declare(
                    Setting.of(
                                    "routes",
                                    Kind.text(
                                            "MATCH -> GUEST [; key=value] entries, separated by commas"
                                                    + " or new lines"),
                                    null,
                                    "which requests go to which guest; see Routes in docs/configuration.md")
                            .defaultText("required unless admin.token is set")
                            .example("/hello -> hello.wasm"));

    public static final Setting<Path> GUEST_DIRECTORY =
            declare(
                    Setting.of(
                                    "guestDirectory",
                                    Kind.path("a directory"),
                                    null,
                                    "directory of the guest files that routes name")
                            .defaultText(
                                    "filter: /WEB-INF/guests; Jetty: ${jetty.base}/vivarium/guests"));

    public static final Setting<Boolean> GUEST_DIRECTORY_WATCH =
            declare(
                    Setting.of(
                            "guestDirectory.watch",
                            Kind.bool(),
                            "false",
                            "reload a routed guest file when it changes on disk (a broken file"
                                    + " keeps the old version serving)"));

    public static final Setting<Path> COMPILE_CACHE_DIRECTORY =
            declare(
                    Setting.of(
                                    "compileCache.directory",
                                    Kind.path("a directory only the server's user may write"),
                                    null,
                                    "where compiled guests are kept by SHA-256, for restarts and"
                                            + " nodes sharing it; unused (a warning) if others may"
                                            + " write it")
                            .defaultText("vivarium-compiled-${user.name} in java.io.tmpdir"));

    public static final Setting<Long> COMPILE_CACHE_MAX_SIZE =
            declare(
                    Setting.of(
                            "compileCache.maxSize",
                            Kind.size(0, Long.MAX_VALUE),
                            "256MB",
                            "most bytes compileCache.directory holds; the least recently used"
                                    + " entries go first (0: no cache, every guest is compiled)"));

    public static final Setting<Duration> DEADLINE =
            declare(
                    Setting.of(
                            "deadline",
                            Kind.duration(),
                            "10s",
                            "longest a guest may run on one request; then it is stopped and the client"
                                    + " gets 504"));

    public static final Setting<Integer> POOL_SIZE =
            declare(
                    Setting.of(
                                    "poolSize",
                                    Kind.integer(0, 4096),
                                    null,
                                    "idle instances kept per guest, ready for the next request (0: a new"
                                            + " instance per request)")
                            .unit("instances")
                            .defaultText("2 × CPUs (at least 2)")
                            .example("8"));

    public static final Setting<Duration> POOL_IDLE_TIMEOUT =
            declare(
                    Setting.of(
                            "poolIdleTimeout",
                            Kind.duration(),
                            "60s",
                            "how long a guest's idle instances are kept once no request takes one;"
                                    + " then they are dropped, and the next request builds one"));

    public static final Setting<Long> MAX_REQUEST_BODY_SIZE =
            declare(
                    Setting.of(
                            "maxRequestBodySize",
                            Kind.size(0, MAX_BODY_LIMIT),
                            "8MB",
                            "largest request body given to a guest; larger requests get 413"));

    public static final Setting<Long> MAX_RESPONSE_BODY_SIZE =
            declare(
                    Setting.of(
                            "maxResponseBodySize",
                            Kind.size(0, MAX_BODY_LIMIT),
                            "8MB",
                            "largest response body a guest may set; more fails the request (500)"));

    public static final Setting<Integer> MAX_MEMORY_PAGES =
            declare(
                    Setting.of(
                                    "maxMemoryPages",
                                    Kind.integer(1, 65536),
                                    "256",
                                    "memory cap of one guest instance (256 pages = 16 MiB); memory.grow"
                                            + " past it fails in the guest")
                            .unit("64 KiB pages"));

    public static final Setting<Long> MAX_TOTAL_MEMORY =
            declare(
                    Setting.of(
                                    "maxTotalMemory",
                                    Kind.size(64 << 10, Long.MAX_VALUE),
                                    null,
                                    "memory cap of all instances together (idle ones included) and the"
                                            + " bodies of running requests; past it, 503")
                            .defaultText("half the JVM's maximum heap")
                            .example("1GB"));

    public static final Setting<Integer> MAX_TABLE_ENTRIES =
            declare(
                    Setting.of(
                                    "maxTableEntries",
                                    Kind.integer(1, 10_000_000),
                                    "65536",
                                    "entries of all tables of one instance, what table.grow may reach"
                                            + " included; a module over it is refused (413)")
                            .unit("entries"));

    public static final Setting<Integer> MAX_GLOBALS =
            declare(
                    Setting.of(
                                    "maxGlobals",
                                    Kind.integer(1, 1_000_000),
                                    "1024",
                                    "globals a module may define; a module over it is refused (413)")
                            .unit("globals"));

    public static final Setting<Long> MAX_FUNCTION_SIZE =
            declare(
                    Setting.of(
                            "maxFunctionSize",
                            Kind.size(1, Integer.MAX_VALUE),
                            "1MB",
                            "bytes of one function body; a module over it is refused before"
                                    + " parsing (413)"));

    public static final Setting<Integer> MAX_BR_TABLE_TARGETS =
            declare(
                    Setting.of(
                                    "maxBrTableTargets",
                                    Kind.integer(1, Integer.MAX_VALUE),
                                    "65536",
                                    "targets of all br_table instructions of a module together (one"
                                            + " br_table has at most 16384); over it, 413")
                            .unit("targets"));

    public static final Setting<Integer> MAX_TYPES =
            declare(
                    Setting.of(
                                    "maxTypes",
                                    Kind.integer(1, 1_000_000),
                                    "10000",
                                    "entries of a module's type section; over it, refused before"
                                            + " parsing (413)")
                            .unit("types"));

    // ---- isolation: what one deployment may take from the others ----------------------------

    public static final Setting<Integer> MAX_CONCURRENT =
            declare(
                    Setting.of(
                                    "maxConcurrent",
                                    Kind.integer(1, 100_000),
                                    null,
                                    "most requests of one deployment running at once (also a route"
                                            + " and upload parameter)")
                            .unit("requests")
                            .defaultText("the CPUs (at least 2)")
                            .example("4"));

    public static final Setting<Integer> MAX_QUEUED =
            declare(
                    Setting.of(
                                    "maxQueued",
                                    Kind.integer(0, 100_000),
                                    "48",
                                    "most requests of one deployment waiting for one of those; more"
                                            + " get 503 with Retry-After at once (also a route and"
                                            + " upload parameter)")
                            .unit("requests"));

    public static final Setting<Duration> QUEUE_TIMEOUT =
            declare(
                    Setting.of(
                            "queueTimeout",
                            Kind.duration(),
                            "1s",
                            "longest a request waits for its deployment to have room; then 503 with"
                                    + " Retry-After"));

    public static final Setting<Integer> GUEST_LOG_MAX_LINES =
            declare(
                    Setting.of(
                                    "guestLog.maxLines",
                                    Kind.integer(0, 1_000_000),
                                    "100",
                                    "guest output lines kept per request; the rest are counted in one"
                                            + " 'dropped' line")
                            .unit("lines"));

    public static final Setting<Long> GUEST_LOG_MAX_BYTES =
            declare(
                    Setting.of(
                            "guestLog.maxBytes",
                            Kind.size(0, Long.MAX_VALUE),
                            "64KB",
                            "guest output bytes kept per request"));

    public static final Setting<Integer> GUEST_LOG_LINES_PER_SECOND =
            declare(
                    Setting.of(
                                    "guestLog.linesPerSecond",
                                    Kind.integer(0, 1_000_000),
                                    "200",
                                    "guest output lines kept per deployment and second (bursts up to"
                                            + " that many)")
                            .unit("lines"));

    public static final Setting<Long> GUEST_LOG_BYTES_PER_SECOND =
            declare(
                    Setting.of(
                            "guestLog.bytesPerSecond",
                            Kind.size(0, Long.MAX_VALUE),
                            "256KB",
                            "guest output bytes kept per deployment and second"));

    public static final Setting<Integer> GUEST_LOG_BUFFER_LINES =
            declare(
                    Setting.of(
                                    "guestLog.bufferLines",
                                    Kind.integer(0, 1_000_000),
                                    "1000",
                                    "guest output lines and faults kept per deployment for the admin"
                                            + " API's /deployments/ID/logs; the oldest are dropped and"
                                            + " counted")
                            .unit("lines"));

    public static final Setting<Integer> GUEST_LOG_FOLLOWERS =
            declare(
                    Setting.of(
                                    "guestLog.followers",
                                    Kind.integer(0, 10_000),
                                    "8",
                                    "admin API clients that may follow deployment logs at once"
                                            + " (/deployments/ID/logs?follow=1, server-sent events);"
                                            + " each holds a server thread, one more gets 503")
                            .unit("streams"));

    public static final Setting<Duration> GUEST_LOG_FOLLOW_MAX_DURATION =
            declare(
                    Setting.of(
                            "guestLog.followMaxDuration",
                            Kind.duration(),
                            "30m",
                            "how long one log follow stream lasts before the server ends it; the"
                                    + " client resumes with Last-Event-ID"));

    public static final Setting<Duration> GUEST_LOG_FOLLOW_HEARTBEAT =
            declare(
                    Setting.of(
                            "guestLog.followHeartbeat",
                            Kind.duration(),
                            "15s",
                            "how often a quiet log follow stream sends a comment, so that proxies"
                                    + " keep it open and a client that left is noticed"));

    // ---- kv -----------------------------------------------------------------------------------

    public static final Setting<String> KV_BACKEND =
            declare(
                    Setting.of(
                            "kv.backend",
                            Kind.text("mapdb, or the name of another backend on the classpath"),
                            "mapdb",
                            "where the key-value stores live: mapdb (embedded files in"
                                    + " kv.directory, one node) or another backend whose module is"
                                    + " added"));

    public static final Setting<Path> KV_DIRECTORY =
            declare(
                    Setting.of(
                                    "kv.directory",
                                    Kind.path("a directory"),
                                    null,
                                    "directory of the key-value stores, one sub-directory per deployment")
                            .defaultText(
                                    "filter: the webapp's temp dir (set it for real use); Jetty:"
                                            + " ${jetty.base}/vivarium/kv"));

    public static final Setting<Long> KV_MAX_KEY_SIZE =
            declare(
                    Setting.of(
                            "kv.maxKeySize",
                            Kind.size(1, MAX_KV_VALUE_LIMIT),
                            "1KB",
                            "longest KV key (UTF-8 bytes); a longer one fails the request (500)"));

    public static final Setting<Long> KV_MAX_VALUE_SIZE =
            declare(
                    Setting.of(
                            "kv.maxValueSize",
                            Kind.size(1, MAX_KV_VALUE_LIMIT),
                            "1MB",
                            "largest KV value, also after an append; a larger one fails the request"
                                    + " (500)"));

    public static final Setting<Long> KV_MAX_STORE_SIZE =
            declare(
                    Setting.of(
                            "kv.maxStoreSize",
                            Kind.size(1, Long.MAX_VALUE),
                            "64MB",
                            "all keys and values of one deployment's store; a write past it fails the"
                                    + " request (500)"));

    public static final Setting<Duration> KV_PURGE_INTERVAL =
            declare(
                    Setting.of(
                            "kv.purgeInterval",
                            Kind.duration(),
                            "1m",
                            "how often expired keys and expired stores are removed in the background"));

    public static final Setting<String> KV_DURABILITY =
            declare(
                    Setting.of(
                            "kv.durability",
                            Kind.oneOf("sync", "interval"),
                            "sync",
                            "when a mapdb KV write is done: sync, once on disk (none acknowledged is"
                                    + " lost); interval, once applied (a crash may lose up to 2 ×"
                                    + " kv.syncInterval of writes)"));

    public static final Setting<Duration> KV_SYNC_INTERVAL =
            declare(
                    Setting.of(
                            "kv.syncInterval",
                            Kind.duration(),
                            "10ms",
                            "with kv.durability=interval: how often stores with new writes are"
                                    + " committed (1ms to 1s); writers wait once a write not on disk is"
                                    + " twice this old"));

    // ---- outbound -----------------------------------------------------------------------------

    public static final Setting<List<String>> OUTBOUND_ALLOW =
            declare(
                    Setting.of(
                                    "outbound.allow",
                                    Kind.list(
                                            "scheme://host[:port] entries (*.domain, :* allowed)"),
                                    null,
                                    "outbound destinations every route may call; routes add their own"
                                            + " with outbound=")
                            .defaultText("none"));

    public static final Setting<Duration> OUTBOUND_CONNECT_TIMEOUT =
            declare(
                    Setting.of(
                            "outbound.connectTimeout",
                            Kind.duration(),
                            "2s",
                            "longest wait to connect (TCP and TLS) to an outbound destination"));

    public static final Setting<Duration> OUTBOUND_TIMEOUT =
            declare(
                    Setting.of(
                            "outbound.timeout",
                            Kind.duration(),
                            "10s",
                            "longest one outbound request may take in all (never past the guest's own"
                                    + " deadline)"));

    public static final Setting<Long> OUTBOUND_MAX_RESPONSE_SIZE =
            declare(
                    Setting.of(
                            "outbound.maxResponseSize",
                            Kind.size(1, 1L << 30),
                            "8MB",
                            "largest outbound response body a guest may receive; a larger one fails the"
                                    + " call (-1)"));

    public static final Setting<Long> OUTBOUND_MAX_TOTAL_RESPONSE_SIZE =
            declare(
                    Setting.of(
                            "outbound.maxTotalResponseSize",
                            Kind.size(1, Long.MAX_VALUE),
                            "32MB",
                            "all outbound response bodies of one guest request together; the call that"
                                    + " crosses it fails (-1)"));

    public static final Setting<Long> OUTBOUND_MAX_TOTAL_REQUEST_SIZE =
            declare(
                    Setting.of(
                            "outbound.maxTotalRequestSize",
                            Kind.size(0, Long.MAX_VALUE),
                            "32MB",
                            "the bodies of all outbound requests one guest request creates, together;"
                                    + " req_set_body past it returns 1"));

    public static final Setting<Integer> OUTBOUND_MAX_SUBREQUESTS =
            declare(
                    Setting.of(
                                    "outbound.maxSubrequests",
                                    Kind.integer(0, 10_000),
                                    "32",
                                    "most outbound requests one guest request may send (as Fastly)")
                            .unit("requests"));

    public static final Setting<Integer> OUTBOUND_MAX_PENDING =
            declare(
                    Setting.of(
                                    "outbound.maxPending",
                                    Kind.integer(0, 10_000),
                                    "32",
                                    "most outbound requests one guest request may have in flight at once")
                            .unit("requests"));

    public static final Setting<Integer> OUTBOUND_MAX_HOPS =
            declare(
                    Setting.of(
                                    "outbound.maxHops",
                                    Kind.integer(0, 100),
                                    "3",
                                    "most Vivarium guests in a row one request may pass through (its"
                                            + " CDN-Loop header); past it a guest's call fails (-1), a"
                                            + " request gets 508")
                            .unit("hops"));

    public static final Setting<Integer> OUTBOUND_MAX_CONCURRENT =
            declare(
                    Setting.of(
                                    "outbound.maxConcurrent",
                                    Kind.integer(1, 100_000),
                                    "64",
                                    "most outbound requests one deployment may have in flight, all its"
                                            + " guest requests together")
                            .unit("requests"));

    public static final Setting<Integer> OUTBOUND_MAX_CONNECTIONS =
            declare(
                    Setting.of(
                                    "outbound.maxConnections",
                                    Kind.integer(1, 100_000),
                                    "16",
                                    "most connections one deployment may open to one destination (each"
                                            + " deployment has its own)")
                            .unit("connections"));

    public static final Setting<Path> OUTBOUND_TRUST_STORE =
            declare(
                    Setting.of(
                                    "outbound.trustStore",
                                    Kind.path("a file"),
                                    null,
                                    "CA certificates trusted for https destinations instead of the JDK's:"
                                            + " a PKCS12 or JKS key store, or a PEM file")
                            .defaultText("the JDK's trusted CAs"));

    public static final Setting<String> OUTBOUND_TRUST_STORE_PASSWORD =
            declare(
                    Setting.of(
                                    "outbound.trustStorePassword",
                                    Kind.secret("the key store's password"),
                                    null,
                                    "password of outbound.trustStore, if it has one")
                            .defaultText("none"));

    // ---- health --------------------------------------------------------------------------------

    public static final Setting<Boolean> HEALTH_ENABLED =
            declare(
                    Setting.of(
                            "health.enabled",
                            Kind.bool(),
                            "true",
                            "whether health.path answers liveness and readiness as JSON (200, or"
                                    + " 503 when not ready), on every host name, without a token"));

    public static final Setting<String> HEALTH_PATH =
            declare(
                    Setting.of(
                            "health.path",
                            Kind.text("a path like /__health, no trailing slash"),
                            "/__health",
                            "where the health check answers"));

    // ---- admin API and uploaded deployments ---------------------------------------------------

    public static final Setting<String> ADMIN_TOKEN =
            declare(
                    Setting.of(
                                    "admin.token",
                                    Kind.secret("at least 16 characters"),
                                    null,
                                    "bearer token of the admin API (upload, list, remove deployments);"
                                            + " the API is off unless it is set")
                            .defaultText("off"));

    public static final Setting<String> ADMIN_PATH =
            declare(
                    Setting.of(
                            "admin.path",
                            Kind.text("a path like /_vivarium, no trailing slash"),
                            "/_vivarium",
                            "where the admin API answers, on every host name"));

    public static final Setting<List<String>> ADMIN_ALLOW_FROM =
            declare(
                    Setting.of(
                                    "admin.allowFrom",
                                    Kind.list(
                                            "IP addresses, CIDR blocks (10.0.0.0/8) or ranges"
                                                    + " (192.0.2.10-192.0.2.20)"),
                                    null,
                                    "client addresses the admin API answers; others get 403")
                            .defaultText("any address"));

    public static final Setting<Path> DEPLOYMENTS_DIRECTORY =
            declare(
                    Setting.of(
                                    "deployments.directory",
                                    Kind.path("a directory"),
                                    null,
                                    "where uploaded deployments are kept until they expire")
                            .defaultText(".uploads in kv.directory"));

    public static final Setting<String> DEPLOYMENTS_STORE =
            declare(
                    Setting.of(
                            "deployments.store",
                            Kind.text("file, or the name of another store on the classpath"),
                            "file",
                            "where uploads are kept: file (deployments.directory, one node) or"
                                    + " postgresql (shared by every node, docs/several-nodes.md)"));

    public static final Setting<Integer> DEPLOYMENTS_MAX =
            declare(
                    Setting.of(
                                    "deployments.max",
                                    Kind.integer(0, 10_000),
                                    "16",
                                    "most deployments uploaded at once")
                            .unit("deployments"));

    public static final Setting<Duration> DEPLOYMENTS_DEFAULT_TTL =
            declare(
                    Setting.of(
                            "deployments.defaultTtl",
                            Kind.duration(),
                            "1h",
                            "lifetime of an upload that gives no ttl; then it and its KV store are"
                                    + " deleted"));

    public static final Setting<Duration> DEPLOYMENTS_MAX_TTL =
            declare(
                    Setting.of(
                            "deployments.maxTtl",
                            Kind.duration(),
                            "24h",
                            "longest lifetime an upload may ask for"));

    public static final Setting<Duration> DEPLOYMENTS_MAX_DEADLINE =
            declare(
                    Setting.of(
                                    "deployments.maxDeadline",
                                    Kind.duration(),
                                    null,
                                    "longest deadline an upload may ask for (and what it gets when it"
                                            + " names none)")
                            .defaultText("the site's deadline")
                            .example("30s"));

    public static final Setting<List<String>> DEPLOYMENTS_ROUTES =
            declare(
                    Setting.of(
                            "deployments.routes",
                            Kind.list("MATCH patterns such as /try/* or *.apps.example.com/*"),
                            "/*",
                            "where uploads may take requests (an upload's route lies within one);"
                                    + " never from a configured route"));

    public static final Setting<Integer> DEPLOYMENTS_MAX_CONCURRENT_UPLOADS =
            declare(
                    Setting.of(
                                    "deployments.maxConcurrentUploads",
                                    Kind.integer(1, 256),
                                    "2",
                                    "uploads parsed and compiled at once; more get 503 with"
                                            + " Retry-After")
                            .unit("uploads"));

    public static final Setting<String> DEPLOYMENTS_DOMAIN =
            declare(
                    Setting.of(
                                    "deployments.domain",
                                    Kind.text("a DNS name such as edge.example.test"),
                                    null,
                                    "gives every upload the host name ID.DOMAIN too (routed by"
                                            + " Host; point a wildcard DNS record at the server)")
                            .defaultText("none: uploads answer on their route only")
                            .example("edge.example.test"));

    public static final Setting<Integer> DEPLOYMENTS_BUNDLE_MAX_ENTRIES =
            declare(
                    Setting.of(
                                    "deployments.bundle.maxEntries",
                                    Kind.integer(1, 1_000_000),
                                    "1000",
                                    "most entries (files and directories) in an uploaded bundle;"
                                            + " more is refused (400)")
                            .unit("entries"));

    public static final Setting<Long> DEPLOYMENTS_BUNDLE_MAX_ENTRY_SIZE =
            declare(
                    Setting.of(
                            "deployments.bundle.maxEntrySize",
                            Kind.size(1, 1L << 40),
                            "64MB",
                            "largest file in an uploaded bundle, uncompressed; larger is refused"
                                    + " (400)"));

    public static final Setting<Long> DEPLOYMENTS_BUNDLE_MAX_TOTAL_SIZE =
            declare(
                    Setting.of(
                            "deployments.bundle.maxTotalSize",
                            Kind.size(1, 1L << 40),
                            "256MB",
                            "largest uploaded bundle, all its files uncompressed; larger (a zip"
                                    + " bomb) is refused (400)"));

    // ---- dns ----------------------------------------------------------------------------------

    public static final Setting<String> DNS_RESOLVER =
            declare(
                    Setting.of(
                            "dns.resolver",
                            Kind.text("system, or host[:port] such as 127.0.0.1:53 or [::1]:53"),
                            "system",
                            "DNS server of the DNS hostcalls: system (the servers in /etc/resolv.conf) or"
                                    + " host[:port]"));

    public static final Setting<Duration> DNS_TIMEOUT =
            declare(
                    Setting.of(
                            "dns.timeout",
                            Kind.duration(),
                            "2s",
                            "longest a DNS lookup may take (never past the guest's own deadline)"));

    /** Every setting, in the order declared here (that of the docs and the Jetty module). */
    public static List<Setting<?>> all() {
        return List.copyOf(BY_NAME.values());
    }

    /** The setting called {@code name}, or null. */
    public static Setting<?> named(String name) {
        return BY_NAME.get(name);
    }

    /** Every setting's name, in declaration order. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }
}
