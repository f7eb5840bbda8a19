//! Scaffolding: the exported `run` function and the conversion between
//! hostcalls and the `http` crate's `Request`/`Response`.

use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Response};

use crate::hostcalls::{RequestHandle, ResponseHandle};
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
    write_resp(user_entrypoint(&req));
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
    write_resp(user_entrypoint(&mut kvs, &req));
}

/// Build the `Request` from the incoming-request hostcalls. The URI is the
/// path with query string (e.g. `/a/b?x=1`), as Terrarium did.
fn build_req() -> Request<Vec<u8>> {
    let inc = RequestHandle::INCOMING;
    let method = inc.get_method();
    let method = match Method::from_bytes(method.as_bytes()) {
        Ok(m) => m,
        Err(_) => panic!("http_guest: the host passed an invalid method: {}", method),
    };
    let mut builder = Request::builder().method(method).uri(inc.get_path());
    for name in inc.get_headers() {
        let header_name = match HeaderName::from_bytes(name.as_bytes()) {
            Ok(n) => n,
            Err(_) => panic!(
                "http_guest: the host passed an invalid header name: {}",
                name
            ),
        };
        for value in inc.get_header_bytes(&name) {
            match HeaderValue::from_bytes(&value) {
                Ok(v) => builder = builder.header(header_name.clone(), v),
                Err(_) => panic!(
                    "http_guest: the host passed an invalid value for header {}",
                    name
                ),
            }
        }
    }
    match builder.body(inc.get_body()) {
        Ok(req) => req,
        Err(e) => panic!("http_guest: could not build the incoming request: {}", e),
    }
}

/// Write a `Response` through the outgoing-response hostcalls.
fn write_resp(resp: Response<Vec<u8>>) {
    let mut out = ResponseHandle::OUTGOING;
    let headers = resp.headers();
    for name in headers.keys() {
        let values: Vec<&[u8]> = headers.get_all(name).iter().map(|v| v.as_bytes()).collect();
        out.set_header_bytes(name.as_str(), &values);
    }
    out.set_body(resp.body());
    out.set_response_code(resp.status().as_u16());
}
