//! The hostcalls: raw imports plus thin, handle-based wrappers.
//!
//! Most guests never need this module: use [`Request`](crate::Request),
//! [`Response`](crate::Response), [`RequestExt`](crate::RequestExt),
//! [`KVStore`](crate::KVStore) and friends from the crate root instead.
//!
//! * [`raw`] declares every hostcall imported from wasm module `"env"`; its
//!   items are also re-exported here, so both
//!   `http_guest::hostcalls::hostcall_debug` and
//!   `http_guest::hostcalls::raw::hostcall_debug` work.
//! * [`types`] has the handle types, [`HostcallStatus`] and [`GuestSlice`].
//! * The methods on [`RequestHandle`], [`ResponseHandle`] and
//!   [`PendingRequestHandle`] and the free functions below call the raw
//!   hostcalls, copy whatever the host returned into owned Rust values and
//!   free the host's buffers (this needs [`init_mm_default`](crate::init_mm_default)).

pub mod raw;
pub mod types;

pub use self::raw::*;
pub use self::types::{
    GuestSlice, HostcallStatus, PendingRequestHandle, PollResult, RequestHandle, ResponseHandle,
};

use crate::guest_allocator::free;
use std::{ptr, slice};

/// Copy a host-returned buffer into a `Vec` and free it. A NULL pointer
/// yields an empty vector.
///
/// # Safety
/// `ptr` must be NULL or a buffer of at least `len` bytes allocated with the
/// SDK's `guest_malloc`.
pub(crate) unsafe fn take_bytes(ptr: *mut u8, len: usize) -> Vec<u8> {
    if ptr.is_null() {
        return Vec::new();
    }
    if len == 0 {
        free(ptr);
        return Vec::new();
    }
    take_nonempty(ptr, len)
}

/// With the SDK's allocator the buffer becomes the `Vec` itself: that
/// allocator ignores the layout when freeing or reallocating, so a block of
/// at least `len` bytes from `guest_malloc` is a valid `Vec<u8>` allocation
/// of capacity `len`. Saves a copy of every body.
#[cfg(all(feature = "allocator", target_arch = "wasm32"))]
unsafe fn take_nonempty(ptr: *mut u8, len: usize) -> Vec<u8> {
    Vec::from_raw_parts(ptr, len, len)
}

#[cfg(not(all(feature = "allocator", target_arch = "wasm32")))]
unsafe fn take_nonempty(ptr: *mut u8, len: usize) -> Vec<u8> {
    let v = slice::from_raw_parts(ptr, len).to_vec();
    free(ptr);
    v
}

/// Copy a host-returned `GuestSlice` array (and every element) into owned
/// vectors, freeing the elements and the array.
///
/// # Safety
/// As for [`take_bytes`], for the array and each element.
pub(crate) unsafe fn take_slices(ptr: *mut GuestSlice<u8>, len: usize) -> Vec<Vec<u8>> {
    if ptr.is_null() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(len);
    if len > 0 {
        for s in slice::from_raw_parts(ptr, len) {
            out.push(take_bytes(s.raw() as *mut u8, s.len()));
        }
    }
    free(ptr);
    out
}

/// Bytes to `String`. Invalid UTF-8 (never seen in practice: methods, paths
/// and header names are ASCII) is mapped byte by byte, non-ASCII bytes
/// becoming U+FFFD; this is much smaller than `String::from_utf8_lossy`.
fn lossy(v: Vec<u8>) -> String {
    match String::from_utf8(v) {
        Ok(s) => s,
        Err(e) => e
            .into_bytes()
            .into_iter()
            .map(|b| if b < 0x80 { b as char } else { '\u{FFFD}' })
            .collect(),
    }
}

fn lossy_all(v: Vec<Vec<u8>>) -> Vec<String> {
    v.into_iter().map(lossy).collect()
}

fn slices_of(values: &[&[u8]]) -> Vec<GuestSlice<u8>> {
    values
        .iter()
        .map(|v| GuestSlice::new(v.as_ptr(), v.len()))
        .collect()
}

/// Read a `(ptr, len)` byte buffer from a getter hostcall.
pub(crate) fn get_bytes_with(f: impl FnOnce(*mut *mut u8, *mut usize)) -> Vec<u8> {
    let mut p: *mut u8 = ptr::null_mut();
    let mut len: usize = 0;
    f(&mut p, &mut len);
    unsafe { take_bytes(p, len) }
}

/// Read a `GuestSlice` array from a getter hostcall.
pub(crate) fn get_slices_with(
    f: impl FnOnce(*mut *mut GuestSlice<u8>, *mut usize),
) -> Vec<Vec<u8>> {
    let mut p: *mut GuestSlice<u8> = ptr::null_mut();
    let mut len: usize = 0;
    f(&mut p, &mut len);
    unsafe { take_slices(p, len) }
}

impl RequestHandle {
    /// Create a new outgoing request; `None` if the host rejects the method
    /// or the URL.
    pub fn create(method: &str, url: &str) -> Option<RequestHandle> {
        let req = unsafe {
            raw::hostcall_req_create(method.as_ptr(), method.len(), url.as_ptr(), url.len())
        };
        let req = RequestHandle::from(req);
        if req.is_error() {
            None
        } else {
            Some(req)
        }
    }

    /// Send the request synchronously (consumes it); `None` on failure. Not
    /// valid for [`RequestHandle::INCOMING`].
    pub fn send(self) -> Option<ResponseHandle> {
        let resp = ResponseHandle::from(unsafe { raw::hostcall_req_send(self.into()) });
        if resp.is_error() {
            None
        } else {
            Some(resp)
        }
    }

    /// Start sending the request (consumes it); `None` on failure. Not valid
    /// for [`RequestHandle::INCOMING`].
    pub fn send_async(self) -> Option<PendingRequestHandle> {
        let pr = PendingRequestHandle::from(unsafe { raw::hostcall_req_send_async(self.into()) });
        if pr.is_error() {
            None
        } else {
            Some(pr)
        }
    }

    /// All values of header `name` as raw bytes (empty if absent).
    pub fn get_header_bytes(&self, name: &str) -> Vec<Vec<u8>> {
        let h: i32 = self.into();
        get_slices_with(|p, l| unsafe {
            raw::hostcall_req_get_header(p, l, h, name.as_ptr(), name.len())
        })
    }

    /// All values of header `name` (lossily converted to UTF-8).
    pub fn get_header(&self, name: &str) -> Vec<String> {
        lossy_all(self.get_header_bytes(name))
    }

    /// The names of all headers of the request.
    pub fn get_headers(&self) -> Vec<String> {
        let h: i32 = self.into();
        lossy_all(get_slices_with(|p, l| unsafe {
            raw::hostcall_req_get_headers(p, l, h)
        }))
    }

    /// The HTTP method.
    pub fn get_method(&self) -> String {
        let h: i32 = self.into();
        lossy(get_bytes_with(|p, l| unsafe {
            raw::hostcall_req_get_method(p, l, h)
        }))
    }

    /// The body.
    pub fn get_body(&self) -> Vec<u8> {
        let h: i32 = self.into();
        get_bytes_with(|p, l| unsafe { raw::hostcall_req_get_body(p, l, h) })
    }

    /// The path including the query string, e.g. `/a/b?x=1`.
    pub fn get_path(&self) -> String {
        let h: i32 = self.into();
        lossy(get_bytes_with(|p, l| unsafe {
            raw::hostcall_req_get_path(p, l, h)
        }))
    }

    /// Replace header `name` of a created request with `values`.
    pub fn set_header(&mut self, name: &str, values: &[&str]) -> HostcallStatus {
        let values: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
        self.set_header_bytes(name, &values)
    }

    /// Replace header `name` of a created request with raw byte `values`.
    pub fn set_header_bytes(&mut self, name: &str, values: &[&[u8]]) -> HostcallStatus {
        let slices = slices_of(values);
        unsafe {
            raw::hostcall_req_set_header(
                self.into(),
                name.as_ptr(),
                name.len(),
                slices.as_ptr(),
                slices.len(),
            )
        }
    }

    /// Set the body of a created request.
    pub fn set_body(&mut self, body: &[u8]) -> HostcallStatus {
        unsafe { raw::hostcall_req_set_body(self.into(), body.as_ptr(), body.len()) }
    }
}

impl ResponseHandle {
    /// The names of all headers of a received response.
    pub fn get_headers(&self) -> Vec<String> {
        let h: i32 = self.into();
        lossy_all(get_slices_with(|p, l| unsafe {
            raw::hostcall_resp_get_headers(p, l, h)
        }))
    }

    /// All values of header `name` of a received response, as raw bytes.
    pub fn get_header_bytes(&self, name: &str) -> Vec<Vec<u8>> {
        let h: i32 = self.into();
        get_slices_with(|p, l| unsafe {
            raw::hostcall_resp_get_header(p, l, h, name.as_ptr(), name.len())
        })
    }

    /// All values of header `name` of a received response (lossy UTF-8).
    pub fn get_header(&self, name: &str) -> Vec<String> {
        lossy_all(self.get_header_bytes(name))
    }

    /// The body of a received response.
    pub fn get_body(&self) -> Vec<u8> {
        let h: i32 = self.into();
        get_bytes_with(|p, l| unsafe { raw::hostcall_resp_get_body(p, l, h) })
    }

    /// The status code of a received response.
    ///
    /// Panics if the host returns a value outside `0..=65535`.
    pub fn get_response_code(&self) -> u16 {
        let code = unsafe { raw::hostcall_resp_get_response_code(self.into()) };
        if code > u32::from(u16::MAX) {
            panic!(
                "response code returned from host was out of range: {}",
                code
            );
        }
        code as u16
    }

    /// Replace header `name` of the outgoing response with `values`.
    pub fn set_header(&mut self, name: &str, values: &[&str]) -> HostcallStatus {
        let values: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
        self.set_header_bytes(name, &values)
    }

    /// Replace header `name` of the outgoing response with raw byte `values`.
    pub fn set_header_bytes(&mut self, name: &str, values: &[&[u8]]) -> HostcallStatus {
        let slices = slices_of(values);
        unsafe {
            raw::hostcall_resp_set_header(
                self.into(),
                name.as_ptr(),
                name.len(),
                slices.as_ptr(),
                slices.len(),
            )
        }
    }

    /// Set the outgoing body.
    pub fn set_body(&mut self, body: &[u8]) -> HostcallStatus {
        unsafe { raw::hostcall_resp_set_body(self.into(), body.as_ptr(), body.len()) }
    }

    /// Set the outgoing status code.
    pub fn set_response_code(&mut self, code: u16) -> HostcallStatus {
        unsafe { raw::hostcall_resp_set_response_code(self.into(), code) }
    }
}

impl PendingRequestHandle {
    /// Block until the request completes (consumes the handle); `None` on
    /// failure.
    pub fn wait(self) -> Option<ResponseHandle> {
        let resp = ResponseHandle::from(unsafe { raw::hostcall_pending_req_wait(self.into()) });
        if resp.is_error() {
            None
        } else {
            Some(resp)
        }
    }

    /// Check without blocking. `NotReady` gives the handle back; `Response`
    /// and `Error` consume it.
    pub fn poll(self) -> PollResult {
        let pr: i32 = self.into();
        let resp = ResponseHandle::from(unsafe { raw::hostcall_pending_req_poll(pr) });
        if resp.is_error() {
            PollResult::Error
        } else if resp.is_not_ready() {
            PollResult::NotReady(PendingRequestHandle::from(pr))
        } else {
            PollResult::Response(resp)
        }
    }
}

/// Block until one of `prs` completes.
///
/// `Ok((finished, resp))` on success, `Err(finished)` on failure. `finished`
/// only identifies which request it was; it is no longer valid. The other
/// handles stay valid.
pub fn select(
    prs: &[&PendingRequestHandle],
) -> Result<(PendingRequestHandle, ResponseHandle), PendingRequestHandle> {
    let handles: Vec<i32> = prs.iter().map(|&pr| i32::from(pr)).collect();
    let mut pr_out: i32 = -1;
    let resp =
        unsafe { raw::hostcall_pending_req_select(handles.as_ptr(), handles.len(), &mut pr_out) };
    let resp = ResponseHandle::from(resp);
    let finished = PendingRequestHandle::from(pr_out);
    if resp.is_error() {
        Err(finished)
    } else if resp.is_not_ready() {
        panic!("hostcall_pending_req_select returned -2 (not ready), which it never should")
    } else {
        Ok((finished, resp))
    }
}

/// `hostcall_kvstore_insert`: put (overwrite); `true` if the key was absent.
pub fn kvstore_insert(key: &str, value: &[u8]) -> bool {
    unsafe {
        raw::hostcall_kvstore_insert(key.as_ptr(), key.len(), value.as_ptr(), value.len())
    }
}

/// `hostcall_kvstore_upsert`: insert only if absent; `true` if it was absent.
pub fn kvstore_upsert(key: &str, value: &[u8]) -> bool {
    unsafe {
        raw::hostcall_kvstore_upsert(key.as_ptr(), key.len(), value.as_ptr(), value.len())
    }
}

/// `hostcall_kvstore_append`: append, or insert if absent; `true` if it was
/// absent.
pub fn kvstore_append(key: &str, value: &[u8]) -> bool {
    unsafe {
        raw::hostcall_kvstore_append(key.as_ptr(), key.len(), value.as_ptr(), value.len())
    }
}

/// `hostcall_kvstore_insert_ttl` (Vivarium extension): put with an expiry of
/// `ttl_millis` milliseconds (must be > 0, the host traps otherwise); `true`
/// if the key was absent.
pub fn kvstore_insert_ttl(key: &str, value: &[u8], ttl_millis: i64) -> bool {
    unsafe {
        raw::hostcall_kvstore_insert_ttl(
            key.as_ptr(),
            key.len(),
            value.as_ptr(),
            value.len(),
            ttl_millis,
        )
    }
}

/// `hostcall_kvstore_get`: a copy of the value, or `None` if absent.
pub fn kvstore_get(key: &str) -> Option<Vec<u8>> {
    let mut p: *mut u8 = ptr::null_mut();
    let mut len: usize = 0;
    let found = unsafe { raw::hostcall_kvstore_get(&mut p, &mut len, key.as_ptr(), key.len()) };
    // Free whatever the host allocated, found or not.
    let value = unsafe { take_bytes(p, len) };
    if found {
        Some(value)
    } else {
        None
    }
}

/// `hostcall_kvstore_remove`: `true` if the key was present and removed.
pub fn kvstore_remove(key: &str) -> bool {
    unsafe { raw::hostcall_kvstore_remove(key.as_ptr(), key.len()) }
}

/// Write one line to the host's debug log.
pub fn debug(msg: &str) {
    unsafe { raw::hostcall_debug(msg.as_ptr(), msg.len()) }
}

/// Hand a panic message to the host (`hostcall_panic_hook`).
pub(crate) fn panic_hook(msg: &str) {
    unsafe { raw::hostcall_panic_hook(msg.as_ptr(), msg.len()) }
}
