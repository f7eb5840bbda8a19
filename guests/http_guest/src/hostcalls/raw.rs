//! The raw hostcall imports, exactly as the host provides them.
//!
//! Every function here is imported from wasm module `"env"` under its own
//! name, with the Rust types Terrarium's `http_guest` 0.1 declared, so guests
//! that call these directly compile unchanged. At the wasm level pointers,
//! `usize`, `u16`, `u32`, `bool`, [`HostcallStatus`] and function pointers
//! are `i32`, and `u64` is `i64`: exactly the wasm types listed in
//! `guests/ABI.md`. Results declared `bool` or [`HostcallStatus`] rely on the
//! host returning only 0 or 1 there, as Vivarium does (any other value would
//! be undefined behaviour in Rust).
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

use super::types::{GuestSlice, HostcallStatus};
use std::os::raw::c_void;

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
    /// Returns ok or invalid (e.g. handle 0).
    /// Wasm type `(i32 i32 i32 i32 i32) -> i32`.
    pub fn hostcall_req_set_header(
        req: i32,
        name_ptr: *const u8,
        name_len: usize,
        values_ptr: *const GuestSlice<u8>,
        values_len: usize,
    ) -> HostcallStatus;

    /// Set the body of a created request. Returns ok or invalid (e.g. handle
    /// 0). Wasm type `(i32 i32 i32) -> i32`.
    pub fn hostcall_req_set_body(req: i32, body_ptr: *const u8, body_len: usize) -> HostcallStatus;

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

    /// Status code of a received response; `u32::MAX` (-1) for an invalid
    /// handle. Wasm type `(i32) -> i32`.
    pub fn hostcall_resp_get_response_code(resp: i32) -> u32;

    /// Replace header `name` of the outgoing response (handle 0) with
    /// `values_len` values. Returns ok or invalid.
    /// Wasm type `(i32 i32 i32 i32 i32) -> i32`.
    pub fn hostcall_resp_set_header(
        resp: i32,
        name_ptr: *const u8,
        name_len: usize,
        values_ptr: *const GuestSlice<u8>,
        values_len: usize,
    ) -> HostcallStatus;

    /// Set the outgoing body. Returns ok or invalid.
    /// Wasm type `(i32 i32 i32) -> i32`.
    pub fn hostcall_resp_set_body(resp: i32, body_ptr: *const u8, body_len: usize)
        -> HostcallStatus;

    /// Set the outgoing status code. Returns ok or invalid.
    /// Wasm type `(i32 i32) -> i32`.
    pub fn hostcall_resp_set_response_code(resp: i32, code: u16) -> HostcallStatus;

    /// Put (overwrite) a KV entry; `true` if the key was absent before.
    /// Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_kvstore_insert(
        key_ptr: *const u8,
        key_len: usize,
        value_ptr: *const u8,
        value_len: usize,
    ) -> bool;

    /// Insert a KV entry only if the key is absent; `true` if it was
    /// absent. Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_kvstore_upsert(
        key_ptr: *const u8,
        key_len: usize,
        value_ptr: *const u8,
        value_len: usize,
    ) -> bool;

    /// Append to an existing KV value, or insert if absent; `true` if it
    /// was absent. Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_kvstore_append(
        key_ptr: *const u8,
        key_len: usize,
        value_ptr: *const u8,
        value_len: usize,
    ) -> bool;

    /// Look a key up: `true` and a malloc'd copy of the value (non-NULL
    /// even when empty), or `false` with ptr=0, len=0. Wasm type `(i32 i32 i32 i32) -> i32`.
    pub fn hostcall_kvstore_get(
        value_ptr_p: *mut *mut u8,
        value_len_p: *mut usize,
        key_ptr: *const u8,
        key_len: usize,
    ) -> bool;

    /// Remove a key: `true` if removed, `false` if absent. Wasm type `(i32 i32) -> i32`.
    pub fn hostcall_kvstore_remove(key_ptr: *const u8, key_len: usize) -> bool;

    /// **Vivarium extension.** Like [`hostcall_kvstore_insert`], but the key
    /// expires `ttl_millis` milliseconds after the write; `ttl_millis <= 0`
    /// traps. Wasm type `(i32 i32 i32 i32 i64) -> i32`.
    pub fn hostcall_kvstore_insert_ttl(
        key_ptr: *const u8,
        key_len: usize,
        value_ptr: *const u8,
        value_len: usize,
        ttl_millis: i64,
    ) -> bool;

    /// Report a panic message; the guest traps right after.
    /// Wasm type `(i32 i32) -> ()`.
    pub fn hostcall_panic_hook(msg_ptr: *const u8, msg_len: usize);

    /// Register the guest's allocator: `malloc_impl(size)` and
    /// `free_impl(ptr)`, which the host calls through the function table (a
    /// function pointer is its table index at the wasm level).
    /// Wasm type `(i32 i32) -> ()`.
    pub fn hostcall_init_mm(
        malloc_impl: extern "C" fn(size: usize) -> *mut c_void,
        free_impl: extern "C" fn(ptr: *mut c_void),
    );

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
    ) -> bool;

    /// Resolve `name` to its A (`ipv6` = 0) or AAAA (`ipv6` = 1) records, as a
    /// [`GuestSlice`] array of 4- or 16-byte addresses; failure = NULL array
    /// pointer. Wasm type `(i32 i32 i32 i32 i32) -> i32`.
    pub fn hostcall_dns_query_ip(
        addrs_ptr_p: *mut *mut GuestSlice<u8>,
        addrs_len_p: *mut usize,
        name_ptr: *const u8,
        name_len: usize,
        ipv6: bool,
    ) -> bool;

    /// Log one debug line. Wasm type `(i32 i32) -> ()`.
    pub fn hostcall_debug(msg_ptr: *const u8, msg_len: usize);
}
