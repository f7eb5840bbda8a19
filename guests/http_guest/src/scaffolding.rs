//! Scaffolding: the exported `run` function and the conversion between
//! hostcalls and the `http` crate's `Request`/`Response`.

use std::convert::TryFrom;

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Response, Uri};

use crate::hostcalls::{
    get_bytes_with, get_slices_with, raw, GuestSlice, HostcallStatus, RequestHandle,
    ResponseHandle,
};
use crate::kvstore::KVStore;

/// Define the guest's exported `run` function around a handler.
///
/// The handler is `fn(&Request<Vec<u8>>) -> Response<Vec<u8>>` (any
/// expression of a type implementing that `Fn`). The generated `run`
/// installs the panic hook ([`panic_set_once`](crate::panic_set_once)),
/// registers the allocator ([`init_mm_default`](crate::init_mm_default)),
/// reads the incoming request, calls the handler and writes its response.
///
/// ```text
/// #[macro_use]
/// extern crate http_guest;
///
/// use http_guest::{Request, Response};
///
/// pub fn user_entrypoint(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
///     if req.method().as_str() == "POST" {
///         Response::builder().status(200).body(b"Hello!".to_vec()).unwrap()
///     } else {
///         Response::builder().status(405).body(vec![]).unwrap()
///     }
/// }
///
/// guest_app!(user_entrypoint);
/// ```
#[macro_export]
macro_rules! guest_app {
    ($user_entrypoint:expr $(,)?) => {
        /// The guest's entry point, called by the host once per request.
        #[no_mangle]
        pub extern "C" fn run() {
            $crate::panic_set_once();
            $crate::init_mm_default();
            $crate::raw_entrypoint($user_entrypoint);
        }
    };
}

/// Like [`guest_app!`], for handlers that use the key-value store:
/// `fn(&mut KVStore, &Request<Vec<u8>>) -> Response<Vec<u8>>`.
///
/// ```text
/// #[macro_use]
/// extern crate http_guest;
///
/// use http_guest::{KVStore, Request, Response};
///
/// pub fn user_entrypoint(kvs: &mut KVStore, req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
///     kvs.insert("last_method", req.method().as_str().as_bytes());
///     Response::builder().status(200).body(b"Hello!".to_vec()).unwrap()
/// }
///
/// guest_app_kvs!(user_entrypoint);
/// ```
#[macro_export]
macro_rules! guest_app_kvs {
    ($user_entrypoint:expr $(,)?) => {
        /// The guest's entry point, called by the host once per request.
        #[no_mangle]
        pub extern "C" fn run() {
            $crate::panic_set_once();
            $crate::init_mm_default();
            $crate::raw_entrypoint_kvs($user_entrypoint);
        }
    };
}

/// Read the incoming request, call `user_entrypoint`, write its response.
///
/// Used by [`guest_app!`]; call it yourself only from a hand-written `run`
/// (after [`init_mm_default`](crate::init_mm_default)).
pub fn raw_entrypoint<F>(user_entrypoint: F)
where
    F: Fn(&Request<Vec<u8>>) -> Response<Vec<u8>>,
{
    let req = build_req();
    write_resp(call_handler(&user_entrypoint, &req));
    #[cfg(feature = "heap-report")]
    report_heap();
}

// Why `run` stays small: Chicory compiles each wasm function to one JVM
// method, and HotSpot at its default flags never JIT-compiles a method over
// 8000 bytes of bytecode (`-XX:-DontCompileHugeMethods` lifts that). With
// `build_req`, `write_resp` and the handler inlined into it, `run` of the
// hello guest became an 11 KB method that ran in HotSpot's bytecode
// interpreter on every request (bench/README.md, issue 17). Each of them is
// therefore a function of its own.

/// The user's handler in a function of its own (it is inlined here, not
/// into `run`).
#[inline(never)]
fn call_handler<F>(user_entrypoint: &F, req: &Request<Vec<u8>>) -> Response<Vec<u8>>
where
    F: Fn(&Request<Vec<u8>>) -> Response<Vec<u8>>,
{
    user_entrypoint(req)
}

/// Like [`call_handler`], with the [`KVStore`].
#[inline(never)]
fn call_handler_kvs<F>(
    user_entrypoint: &F,
    kvs: &mut KVStore,
    req: &Request<Vec<u8>>,
) -> Response<Vec<u8>>
where
    F: Fn(&mut KVStore, &Request<Vec<u8>>) -> Response<Vec<u8>>,
{
    user_entrypoint(kvs, req)
}

/// Like [`raw_entrypoint`], also passing the deployment's [`KVStore`].
///
/// Used by [`guest_app_kvs!`].
pub fn raw_entrypoint_kvs<F>(user_entrypoint: F)
where
    F: Fn(&mut KVStore, &Request<Vec<u8>>) -> Response<Vec<u8>>,
{
    let req = build_req();
    let mut kvs = KVStore::global();
    write_resp(call_handler_kvs(&user_entrypoint, &mut kvs, &req));
    #[cfg(feature = "heap-report")]
    report_heap();
}

/// Feature `heap-report`: one debug line with the heap use of this request.
#[cfg(all(feature = "heap-report", target_arch = "wasm32"))]
fn report_heap() {
    let (used, initial) = crate::bump::heap_stats();
    let pages = core::arch::wasm32::memory_size(0);
    crate::hostcalls::debug(&format!(
        "http_guest heap-report: {} heap bytes in use, memory {} pages (initial {}){}",
        used,
        pages,
        initial,
        if pages > initial { " GREW" } else { "" }
    ));
}

#[cfg(all(feature = "heap-report", not(target_arch = "wasm32")))]
fn report_heap() {}

/// Build the `Request` from the incoming-request hostcalls. The URI is the
/// path with query string (e.g. `/a/b?x=1`), as Terrarium did.
///
/// Built field by field rather than with `Request::builder()`, and from the
/// host's byte buffers without UTF-8 conversion: smaller code, fewer copies.
#[inline(never)]
fn build_req() -> Request<Vec<u8>> {
    let h = i32::from(RequestHandle::INCOMING);
    let method = get_bytes_with(|p, l| unsafe { raw::hostcall_req_get_method(p, l, h) });
    let method = match Method::from_bytes(&method) {
        Ok(m) => m,
        Err(_) => invalid("method"),
    };
    let path = get_bytes_with(|p, l| unsafe { raw::hostcall_req_get_path(p, l, h) });
    let uri = match Uri::try_from(escape_uri(path)) {
        Ok(u) => u,
        Err(_) => invalid("path"),
    };
    let names = get_slices_with(|p, l| unsafe { raw::hostcall_req_get_headers(p, l, h) });
    let mut headers = HeaderMap::with_capacity(names.len());
    for raw_name in names {
        let name = match HeaderName::from_bytes(&raw_name) {
            Ok(n) => n,
            Err(_) => invalid("header name"),
        };
        let values = get_slices_with(|p, l| unsafe {
            raw::hostcall_req_get_header(p, l, h, raw_name.as_ptr(), raw_name.len())
        });
        for value in values {
            match HeaderValue::try_from(value) {
                Ok(v) => headers.append(name.clone(), v),
                Err(_) => invalid("header value"),
            };
        }
    }
    let body = get_bytes_with(|p, l| unsafe { raw::hostcall_req_get_body(p, l, h) });
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.headers_mut() = headers;
    req
}

/// The path as the `http` crate accepts it. Servers pass on some bytes in a
/// request target that `http` refuses (`"`, `<`, `>`, `{`, `|`, `}` and
/// other ASCII it does not allow in a URI, and any non-ASCII byte, e.g. raw
/// UTF-8 in a query): those are percent-encoded, which names the same
/// resource. Anything else is returned as it came, without a copy.
fn escape_uri(path: Vec<u8>) -> Vec<u8> {
    fn plain(b: u8) -> bool {
        b > b' '
            && b < 0x7f
            && !matches!(b, b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}')
    }
    if path.iter().all(|&b| plain(b)) {
        return path;
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(path.len() + 16);
    for b in path {
        if plain(b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
    out
}

/// The host broke the ABI; not worth more code than a fixed message.
#[cold]
#[inline(never)]
fn invalid(what: &'static str) -> ! {
    panic!("http_guest: the host passed an invalid request {}", what)
}

/// Write a `Response` through the outgoing-response hostcalls.
#[inline(never)]
fn write_resp(resp: Response<Vec<u8>>) {
    let mut out = ResponseHandle::OUTGOING;
    let headers = resp.headers();
    for name in headers.keys() {
        let values: Vec<GuestSlice<u8>> = headers
            .get_all(name)
            .iter()
            .map(|v| GuestSlice::new(v.as_bytes().as_ptr(), v.len()))
            .collect();
        let name = name.as_str();
        unsafe {
            raw::hostcall_resp_set_header(
                (&out).into(),
                name.as_ptr(),
                name.len(),
                values.as_ptr(),
                values.len(),
            )
        };
    }
    out.set_body(resp.body());
    if out.set_response_code(resp.status().as_u16()) != HostcallStatus::Ok {
        refused_status();
    }
}

/// The host sends only final statuses (200..599); the `http` crate allows
/// 100..999. A panic says so, where answering 200 would hide the mistake.
#[cold]
#[inline(never)]
fn refused_status() -> ! {
    panic!("http_guest: the host refused the response's status: only 200..599 can be sent")
}
