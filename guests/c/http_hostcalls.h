/*
 * http_hostcalls.h - the Vivarium / Terrarium hostcall ABI for C guests.
 *
 * Every function below is imported from WebAssembly module "env" under its
 * own name; the guest defines `void run(void)`, which this header marks for
 * export (export_name), so no linker flag is needed for it. The full contract
 * is in guests/ABI.md. The plain build is
 *
 *   clang --target=wasm32-wasi -O2 -nostartfiles -Wl,--no-entry \
 *         -o guest.wasm guest.c
 *
 * and wasi-libc works in it: stdio (printf to stdout/stderr goes to the
 * guest's log, one line per entry), exit() (0 sends the response built so
 * far, anything else is answered 500 like a panic), string functions and
 * malloc. Vivarium provides the WASI functions libc imports for these (see
 * guests/ABI.md, "WASI subset"); a guest that needs others (files, stdin) is
 * refused at load with a message that names them. The reactor model
 * (-mexec-model=reactor: the host calls `_initialize` before `run`) works
 * too; with it, or when no call_indirect exists in the module, add
 * -Wl,--export-table if you call hostcall_init_mm: it passes malloc and free
 * as function-table indices, and wasm-ld drops the table of a module that
 * makes no indirect call of its own (stdio makes some).
 *
 * Memory: call hostcall_init_mm(malloc, free) first if you use any getter
 * (without it the host places what it returns in pages it adds to the end of
 * memory; never free() those).
 * Every buffer the host returns (strings, bodies, header arrays and each of
 * their elements, KV values, DNS answers) was allocated with that malloc and
 * is yours to free(). Strings the host writes carry a trailing NUL byte that
 * is not counted in the returned length. When there is nothing to return the
 * host writes ptr = NULL and len = 0.
 *
 * Handles are int32: requests (0 = REQUEST_INCOMING, -1 = error), responses
 * (0 = RESPONSE_OUTGOING, -1 = error, -2 = not ready) and pending requests
 * (-1 = error) are separate number spaces.
 */
#ifndef HTTP_HOSTCALLS_H
#define HTTP_HOSTCALLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A (pointer, length) pair: 8 bytes in wasm32 memory (i32 ptr, i32 len).
 * Header value lists, header name lists and DNS answers are arrays of these. */
struct string_slice {
    const char *ptr;
    size_t      len;
};

/* Handle types. */
typedef int32_t request_t;
typedef int32_t response_t;
typedef int32_t pending_request_t;

/* The request coming in to this guest. */
#define REQUEST_INCOMING ((request_t) 0)
/* The response going out of this guest. */
#define RESPONSE_OUTGOING ((response_t) 0)
/* Error values. */
#define REQUEST_ERROR ((request_t) -1)
#define RESPONSE_ERROR ((response_t) -1)
#define RESPONSE_NOT_READY ((response_t) -2)
#define PENDING_REQUEST_ERROR ((pending_request_t) -1)

/* Status returned by the setters. */
enum value_status {
    value_status_ok      = 0,
    value_status_invalid = 1,
};

/* ---- Outgoing requests ------------------------------------------------- */

/* New outgoing request; a handle, or REQUEST_ERROR for a bad method or URL. */
__attribute__((import_module("env"), import_name("hostcall_req_create")))
request_t hostcall_req_create(const char *method, size_t method_len, const char *url,
                              size_t url_len);

/* Send synchronously; consumes req. A response handle or RESPONSE_ERROR
 * (also for REQUEST_INCOMING). */
__attribute__((import_module("env"), import_name("hostcall_req_send")))
response_t hostcall_req_send(request_t req);

/* Start sending; consumes req. A pending-request handle or PENDING_REQUEST_ERROR. */
__attribute__((import_module("env"), import_name("hostcall_req_send_async")))
pending_request_t hostcall_req_send_async(request_t req);

/* Block until done; consumes pr. A response handle or RESPONSE_ERROR. */
__attribute__((import_module("env"), import_name("hostcall_pending_req_wait")))
response_t hostcall_pending_req_wait(pending_request_t pr);

/* Non-blocking: RESPONSE_NOT_READY (pr stays valid), RESPONSE_ERROR, or a
 * response handle (pr consumed). */
__attribute__((import_module("env"), import_name("hostcall_pending_req_poll")))
response_t hostcall_pending_req_poll(pending_request_t pr);

/* Block until one of prs[0..prs_len) completes; writes it to *pr_out (on
 * success and on error) and returns its response handle or RESPONSE_ERROR.
 * The finished handle becomes invalid, the others stay valid. */
__attribute__((import_module("env"), import_name("hostcall_pending_req_select")))
response_t hostcall_pending_req_select(const pending_request_t *prs, size_t prs_len,
                                       pending_request_t *pr_out);

/* Set a header of a request created by hostcall_req_create to values[0..n). */
__attribute__((import_module("env"), import_name("hostcall_req_set_header")))
enum value_status hostcall_req_set_header(request_t req, const char *name, size_t name_len,
                                          const struct string_slice *values,
                                          size_t values_len);

/* Set the body of a created request. */
__attribute__((import_module("env"), import_name("hostcall_req_set_body")))
enum value_status hostcall_req_set_body(request_t req, const void *body, size_t body_len);

/* ---- Reading requests (REQUEST_INCOMING) ------------------------------- */

/* All values of header `name`: a malloc'd array of *values_len_p slices,
 * each pointing to a malloc'd, NUL-terminated value. */
__attribute__((import_module("env"), import_name("hostcall_req_get_header")))
void hostcall_req_get_header(struct string_slice **values_ptr_p, size_t *values_len_p,
                             request_t req, const char *name, size_t name_len);

/* All header names (lower-case), same scheme. */
__attribute__((import_module("env"), import_name("hostcall_req_get_headers")))
void hostcall_req_get_headers(struct string_slice **names_ptr_p, size_t *names_len_p,
                              request_t req);

/* The method (malloc'd, NUL-terminated). */
__attribute__((import_module("env"), import_name("hostcall_req_get_method")))
void hostcall_req_get_method(char **method_ptr_p, size_t *method_len_p, request_t req);

/* The whole body (malloc'd; NULL and 0 when empty). */
__attribute__((import_module("env"), import_name("hostcall_req_get_body")))
void hostcall_req_get_body(void **body_ptr_p, size_t *body_len_p, request_t req);

/* The path including the query string, e.g. "/a/b?x=1" (malloc'd,
 * NUL-terminated). */
__attribute__((import_module("env"), import_name("hostcall_req_get_path")))
void hostcall_req_get_path(char **path_ptr_p, size_t *path_len_p, request_t req);

/* ---- Received responses ----------------------------------------------- */

/* Header names of a received response. */
__attribute__((import_module("env"), import_name("hostcall_resp_get_headers")))
void hostcall_resp_get_headers(struct string_slice **names_ptr_p, size_t *names_len_p,
                               response_t resp);

/* Values of one header of a received response. */
__attribute__((import_module("env"), import_name("hostcall_resp_get_header")))
void hostcall_resp_get_header(struct string_slice **values_ptr_p, size_t *values_len_p,
                              response_t resp, const char *name, size_t name_len);

/* Body of a received response. */
__attribute__((import_module("env"), import_name("hostcall_resp_get_body")))
void hostcall_resp_get_body(void **body_ptr_p, size_t *body_len_p, response_t resp);

/* Status code of a received response. */
__attribute__((import_module("env"), import_name("hostcall_resp_get_response_code")))
uint32_t hostcall_resp_get_response_code(response_t resp);

/* ---- The outgoing response (RESPONSE_OUTGOING) ------------------------ */

/* Set a header of the outgoing response to values[0..n). */
__attribute__((import_module("env"), import_name("hostcall_resp_set_header")))
enum value_status hostcall_resp_set_header(response_t resp, const char *name, size_t name_len,
                                           const struct string_slice *values,
                                           size_t values_len);

/* Set the outgoing body. */
__attribute__((import_module("env"), import_name("hostcall_resp_set_body")))
enum value_status hostcall_resp_set_body(response_t resp, const void *body, size_t body_len);

/* Helpers over the two calls above (Vivarium additions, not hostcalls). */

/* Set header `name` of the outgoing response to the one value
 * value[0..value_len). */
static inline enum value_status resp_set_header_value(const char *name, const char *value,
                                                      size_t value_len)
{
    struct string_slice v = { .ptr = value, .len = value_len };
    return hostcall_resp_set_header(RESPONSE_OUTGOING, name, __builtin_strlen(name), &v, 1U);
}

/* Set the outgoing body to the NUL-terminated text `body`. */
static inline enum value_status resp_set_body_text(const char *body)
{
    return hostcall_resp_set_body(RESPONSE_OUTGOING, body, __builtin_strlen(body));
}

/* Set the outgoing status code. */
__attribute__((import_module("env"), import_name("hostcall_resp_set_response_code")))
enum value_status hostcall_resp_set_response_code(response_t resp, uint16_t code);

/* ---- Key-value store (one per deployment) ----------------------------- */

/* Put (overwrite); 1 if the key was absent before. */
__attribute__((import_module("env"), import_name("hostcall_kvstore_insert")))
int32_t hostcall_kvstore_insert(const char *key, size_t key_len, const void *value,
                                size_t value_len);

/* Insert only if absent; 1 if it was absent. */
__attribute__((import_module("env"), import_name("hostcall_kvstore_upsert")))
int32_t hostcall_kvstore_upsert(const char *key, size_t key_len, const void *value,
                                size_t value_len);

/* Append to the existing value, or insert if absent; 1 if it was absent. */
__attribute__((import_module("env"), import_name("hostcall_kvstore_append")))
int32_t hostcall_kvstore_append(const char *key, size_t key_len, const void *value,
                                size_t value_len);

/* 1 and a malloc'd copy (non-NULL even when empty) if found; 0 and
 * NULL/0 if not. */
__attribute__((import_module("env"), import_name("hostcall_kvstore_get")))
int32_t hostcall_kvstore_get(void **value_ptr_p, size_t *value_len_p, const char *key,
                             size_t key_len);

/* 1 if removed, 0 if absent. */
__attribute__((import_module("env"), import_name("hostcall_kvstore_remove")))
int32_t hostcall_kvstore_remove(const char *key, size_t key_len);

/* Vivarium extension (not in Terrarium): like hostcall_kvstore_insert, but
 * the key expires ttl_millis ms after the write; ttl_millis <= 0 traps. */
__attribute__((import_module("env"), import_name("hostcall_kvstore_insert_ttl")))
int32_t hostcall_kvstore_insert_ttl(const char *key, size_t key_len, const void *value,
                                    size_t value_len, int64_t ttl_millis);

/* ---- Miscellaneous ---------------------------------------------------- */

/* Report a panic message; trap right after (e.g. __builtin_trap()). */
__attribute__((import_module("env"), import_name("hostcall_panic_hook")))
void hostcall_panic_hook(const char *msg, size_t msg_len);

/* Register the allocator the host uses for every buffer it returns. */
__attribute__((import_module("env"), import_name("hostcall_init_mm")))
void hostcall_init_mm(void *(*malloc_impl)(size_t), void (*free_impl)(void *));

/* A cryptographically strong random number. */
__attribute__((import_module("env"), import_name("hostcall_rng_next_u64")))
uint64_t hostcall_rng_next_u64(void);

/* Seconds since the Unix epoch; writes the sub-second nanoseconds to
 * *subsec_nanos_p unless it is NULL. */
__attribute__((import_module("env"), import_name("hostcall_time_now")))
uint64_t hostcall_time_now(uint32_t *subsec_nanos_p);

/* Send a wire-format DNS query; a malloc'd wire-format answer (same
 * transaction id), or NULL on failure. */
__attribute__((import_module("env"), import_name("hostcall_dns_query_raw")))
int32_t hostcall_dns_query_raw(void **response_ptr_p, size_t *response_len_p,
                               const void *query, size_t query_len);

/* A (ipv6 = 0) or AAAA (ipv6 = 1) records of `name`: a malloc'd array of
 * slices of 4- or 16-byte addresses; NULL array on failure. */
__attribute__((import_module("env"), import_name("hostcall_dns_query_ip")))
int32_t hostcall_dns_query_ip(struct string_slice **addrs_ptr_p, size_t *addrs_len_p,
                              const char *name, size_t name_len, int32_t ipv6);

/* One debug log line. */
__attribute__((import_module("env"), import_name("hostcall_debug")))
void hostcall_debug(const char *msg, size_t msg_len);

/* ---- The entry point --------------------------------------------------- */

/* The host calls run() for every request; define it in your guest. Declared
 * here with export_name so that it is exported without -Wl,--export=run. */
__attribute__((export_name("run")))
void run(void);

#ifdef __cplusplus
}
#endif

#endif /* HTTP_HOSTCALLS_H */
