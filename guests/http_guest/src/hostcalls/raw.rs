//! The raw hostcall imports, exactly as the host provides them.
//!
//! Every function here is imported from wasm module `"env"` under its own
//! name. At the wasm level pointers, `usize`, booleans and status values are
//! `i32`, and `u64` is `i64`; the Rust types below are chosen to produce
//! exactly the wasm types listed in `guests/ABI.md`. Results that the host
//! produces as plain integers (booleans, statuses, handles) are declared as
//! `i32` here so that no host value can be undefined behaviour in Rust; the
//! safe wrappers in [`crate::hostcalls`] turn them into richer types.
//!
//! Out-parameters (`*_ptr_p`, `*_len_p`) are written by the host: a pointer to
//! a buffer allocated with the guest's registered `malloc` (see
//! [`hostcall_init_mm`]) and its length in bytes. A NULL pointer means
//! "nothing". The guest owns, and must free, every buffer the host returns; a
//! [`GuestSlice`] array and each element it points to are separate
//! allocations.
//!
//! All of these are `unsafe`: the host reads and writes guest memory through
//! the pointers given.

use super::types::GuestSlice;

#[link(wasm_import_module = "env")]
extern "C" {
    /// Create a new outgoing request. Returns a request handle, or -1 when
    /// the method or the URL is malformed. Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_req_create(
        method_ptr: *const u8,
        method_len: usize,
        url_ptr: *const u8,
        url_len: usize,
    ) -> i32;

    /// Send a created request synchronously; consumes `req`. Returns a
    /// response handle, or -1 (also for handle 0). Wasm type `(i32) -> i32`.
    pub fn hostcall_req_send(req: i32) -> i32;

    /// Start sending a created request; consumes `req`. Returns a
    /// pending-request handle, or -1. Wasm type `(i32) -> i32`.
    pub fn hostcall_req_send_async(req: i32) -> i32;

    /// Block until a pending request completes; consumes `pr`. Returns a
    /// response handle, or -1. Wasm type `(i32) -> i32`.
    pub fn hostcall_pending_req_wait(pr: i32) -> i32;

    /// Non-blocking check of a pending request: -2 = not ready (`pr` stays
    /// valid), -1 = error, otherwise a response handle (`pr` consumed).
    /// Wasm type `(i32) -> i32`.
    pub fn hostcall_pending_req_poll(pr: i32) -> i32;

    /// Block until one of the `prs_len` pending-request handles at `prs_ptr`
    /// completes. Writes the finished handle to `*pr_out` (on success and on
    /// error) and returns its response handle, or -1. The finished handle
    /// becomes invalid; the others stay valid. Wasm type `(i32 i32 i32) -> i32`.
    pub fn hostcall_pending_req_select(
        prs_ptr: *const i32,
        prs_len: usize,
        pr_out: *mut i32,
    ) -> i32;

    /// All values of header `name` of request `req`, as a malloc'd array of
    /// `values_len` [`GuestSlice`]s, each pointing to a malloc'd value.
    /// Wasm type `(i32 i32 i32 i32 i32) -> ()`.
    pub fn hostcall_req_get_header(
        values_ptr_p: *mut *mut GuestSlice<u8>,
        values_len_p: *mut usize,
        req: i32,
        name_ptr: *const u8,
        name_len: usize,
    );

    /// All header names of request `req`, same scheme as
    /// [`hostcall_req_get_header`]. Wasm type `(i32 i32 i32) -> ()`.
    pub fn hostcall_req_get_headers(
        names_ptr_p: *mut *mut GuestSlice<u8>,
        names_len_p: *mut usize,
        req: i32,
    );

    /// The method of request `req` (malloc'd, NUL-terminated, `len` excludes
    /// the NUL). Wasm type `(i32 i32 i32) -> ()`.
    pub fn hostcall_req_get_method(method_ptr_p: *mut *mut u8, method_len_p: *mut usize, req: i32);

    /// The whole body of request `req` (len 0 means no allocation).
    /// Wasm type `(i32 i32 i32) -> ()`.
    pub fn hostcall_req_get_body(body_ptr_p: *mut *mut u8, body_len_p: *mut usize, req: i32);

    /// The path including the query string of request `req`, e.g.
    /// `/a/b?x=1` (malloc'd, NUL-terminated). Wasm type `(i32 i32 i32) -> ()`.
    pub fn hostcall_req_get_path(path_ptr_p: *mut *mut u8, path_len_p: *mut usize, req: i32);

    /// Replace header `name` of a created request with `values_len` values.
    /// Returns 0 (ok) or 1 (invalid; e.g. handle 0).
    /// Wasm type `(i32 i32 i32 i32 i32) -> i32`.
    pub fn hostcall_req_set_header(
        req: i32,
        name_ptr: *const u8,
        name_len: usize,
        values_ptr: *const GuestSlice<u8>,
        values_len: usize,
    ) -> i32;

    /// Set the body of a created request. Returns 0 (ok) or 1 (invalid; e.g.
    /// handle 0). Wasm type `(i32 i32 i32) -> i32`.
    pub fn hostcall_req_set_body(req: i32, body_ptr: *const u8, body_len: usize) -> i32;

    /// Header names of a received response.
    /// Wasm type `(i32 i32 i32) -> ()`.
    pub fn hostcall_resp_get_headers(
        names_ptr_p: *mut *mut GuestSlice<u8>,
        names_len_p: *mut usize,
        resp: i32,
    );

    /// Values of header `name` of a received response.
    /// Wasm type `(i32 i32 i32 i32 i32) -> ()`.
    pub fn hostcall_resp_get_header(
        values_ptr_p: *mut *mut GuestSlice<u8>,
        values_len_p: *mut usize,
        resp: i32,
        name_ptr: *const u8,
        name_len: usize,
    );

    /// Body of a received response. Wasm type `(i32 i32 i32) -> ()`.
    pub fn hostcall_resp_get_body(body_ptr_p: *mut *mut u8, body_len_p: *mut usize, resp: i32);

    /// Status code of a received response. Wasm type `(i32) -> i32`.
    pub fn hostcall_resp_get_response_code(resp: i32) -> i32;

    /// Replace header `name` of the outgoing response (handle 0) with
    /// `values_len` values. Returns 0 (ok) or 1 (invalid).
    /// Wasm type `(i32 i32 i32 i32 i32) -> i32`.
    pub fn hostcall_resp_set_header(
        resp: i32,
        name_ptr: *const u8,
        name_len: usize,
        values_ptr: *const GuestSlice<u8>,
        values_len: usize,
    ) -> i32;

    /// Set the outgoing body. Returns 0 (ok) or 1 (invalid).
    /// Wasm type `(i32 i32 i32) -> i32`.
    pub fn hostcall_resp_set_body(resp: i32, body_ptr: *const u8, body_len: usize) -> i32;

    /// Set the outgoing status code. Returns 0 (ok) or 1 (invalid).
    /// Wasm type `(i32 i32) -> i32`.
    pub fn hostcall_resp_set_response_code(resp: i32, code: i32) -> i32;

    /// Put (overwrite) a KV entry; returns 1 if the key was absent before.
    /// Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_kvstore_insert(
        key_ptr: *const u8,
        key_len: usize,
        value_ptr: *const u8,
        value_len: usize,
    ) -> i32;

    /// Insert a KV entry only if the key is absent; returns 1 if it was
    /// absent. Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_kvstore_upsert(
        key_ptr: *const u8,
        key_len: usize,
        value_ptr: *const u8,
        value_len: usize,
    ) -> i32;

    /// Append to an existing KV value, or insert if absent; returns 1 if it
    /// was absent. Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_kvstore_append(
        key_ptr: *const u8,
        key_len: usize,
        value_ptr: *const u8,
        value_len: usize,
    ) -> i32;

    /// Look a key up: returns 1 and a malloc'd copy of the value (non-NULL
    /// even when empty), or 0 with ptr=0, len=0. Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_kvstore_get(
        value_ptr_p: *mut *mut u8,
        value_len_p: *mut usize,
        key_ptr: *const u8,
        key_len: usize,
    ) -> i32;

    /// Remove a key: 1 if removed, 0 if absent. Wasm type `(i32 i32) -> i32`.
    pub fn hostcall_kvstore_remove(key_ptr: *const u8, key_len: usize) -> i32;

    /// **Vivarium extension.** Like [`hostcall_kvstore_insert`], but the key
    /// expires `ttl_millis` milliseconds after the write; `ttl_millis <= 0`
    /// traps. Wasm type `(i32 i32 i32 i32 i64) -> i32`.
    pub fn hostcall_kvstore_insert_ttl(
        key_ptr: *const u8,
        key_len: usize,
        value_ptr: *const u8,
        value_len: usize,
        ttl_millis: i64,
    ) -> i32;

    /// Report a panic message; the guest traps right after.
    /// Wasm type `(i32 i32) -> ()`.
    pub fn hostcall_panic_hook(msg_ptr: *const u8, msg_len: usize);

    /// Register the guest's allocator as two function-table indices:
    /// `malloc(size: i32) -> i32` and `free(ptr: i32)`. In Rust a function
    /// pointer cast to an integer is its table index:
    /// `hostcall_init_mm(my_malloc as usize as i32, my_free as usize as i32)`.
    /// Wasm type `(i32 i32) -> ()`.
    pub fn hostcall_init_mm(malloc_idx: i32, free_idx: i32);

    /// A cryptographically strong random number. Wasm type `() -> i64`.
    pub fn hostcall_rng_next_u64() -> u64;

    /// Seconds since the Unix epoch; writes the sub-second nanoseconds to
    /// `*subsec_nanos_p` unless it is NULL. Wasm type `(i32) -> i64`.
    pub fn hostcall_time_now(subsec_nanos_p: *mut u32) -> u64;

    /// Send a wire-format DNS query to the upstream resolver; on success
    /// writes a malloc'd wire-format answer, on failure a NULL pointer.
    /// Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_dns_query_raw(
        response_ptr_p: *mut *mut u8,
        response_len_p: *mut usize,
        query_ptr: *const u8,
        query_len: usize,
    ) -> i32;

    /// Resolve `name` to its A (`ipv6` = 0) or AAAA (`ipv6` = 1) records, as a
    /// [`GuestSlice`] array of 4- or 16-byte addresses; failure = NULL array
    /// pointer. Wasm type `(i32 i32 i32 i32 i32) -> i32`.
    pub fn hostcall_dns_query_ip(
        addrs_ptr_p: *mut *mut GuestSlice<u8>,
        addrs_len_p: *mut usize,
        name_ptr: *const u8,
        name_len: usize,
        ipv6: i32,
    ) -> i32;

    /// Log one debug line. Wasm type `(i32 i32) -> ()`.
    pub fn hostcall_debug(msg_ptr: *const u8, msg_len: usize);
}
