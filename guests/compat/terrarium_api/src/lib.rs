//! `terrarium_api`: a compile-only check that a guest written against
//! Terrarium's `http_guest` 0.1 builds against this SDK unchanged. It uses
//! every public item the ABI contract (`guests/ABI.md`) lists, the way
//! Terrarium guests do (edition 2015, `#[macro_use] extern crate`), including
//! the raw imports with the Rust types Terrarium's `src/hostcalls/raw.rs`
//! declared. `build.sh` builds it with the other guests and fails if it does
//! not compile; it is not shipped in `dist/` and never runs.

#[macro_use]
extern crate http_guest;

use http_guest::hostcalls::types::{GuestSlice, HostcallStatus};
use http_guest::hostcalls::{self, raw, PendingRequestHandle, RequestHandle, ResponseHandle};
use http_guest::{
    header, select, Error, HeaderMap, KVStore, Method, PendingRequest, PollResult, Request,
    RequestExt, Response, SendError, StatusCode, Time, Uri, DNS,
};
use std::net::IpAddr;
use std::os::raw::c_void;
use std::ptr;
use std::time::Duration;

fn send_sync(r: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, SendError> {
    r.send()
}

fn send_async(r: Request<Vec<u8>>) -> Result<PendingRequest, SendError> {
    r.send_async()
}

fn describe(e: &SendError) -> String {
    match *e {
        SendError::Hostcall => "hostcall".to_string(),
        SendError::HeaderToStr(ref x) => format!("{}", x),
        SendError::Http(ref x) => format!("{}", x),
    }
}

fn kv(k: &mut KVStore) -> (bool, bool, bool, Option<Vec<u8>>, bool) {
    (
        k.insert("a", b"1"),
        k.upsert("a", b"2"),
        k.append("a", b"3"),
        k.get("a"),
        k.remove("a"),
    )
}

fn dns() -> (Vec<u8>, Vec<IpAddr>) {
    let answer = DNS::query_raw(&[0u8; 12]).unwrap_or_default();
    let ips = DNS::query_ip("example.com", true).unwrap_or_default();
    (answer, ips)
}

extern "C" fn my_malloc(size: usize) -> *mut c_void {
    http_guest::guest_malloc(size) as *mut c_void
}

extern "C" fn my_free(p: *mut c_void) {
    unsafe { http_guest::guest_free(p as *mut u8) }
}

/// The raw imports, with Terrarium's Rust types.
fn raw_calls() {
    unsafe {
        raw::hostcall_init_mm(my_malloc, my_free);
        let st: HostcallStatus = raw::hostcall_resp_set_body(0, b"x".as_ptr(), 1);
        let _ = st == HostcallStatus::Ok;
        let _: HostcallStatus = raw::hostcall_resp_set_response_code(0, 200u16);
        let _: u32 = raw::hostcall_resp_get_response_code(1);
        let _: bool = raw::hostcall_kvstore_insert(b"k".as_ptr(), 1, b"v".as_ptr(), 1);
        let _: bool = raw::hostcall_kvstore_upsert(b"k".as_ptr(), 1, b"v".as_ptr(), 1);
        let _: bool = raw::hostcall_kvstore_append(b"k".as_ptr(), 1, b"v".as_ptr(), 1);
        let _: bool = raw::hostcall_kvstore_remove(b"k".as_ptr(), 1);
        let mut p: *mut u8 = ptr::null_mut();
        let mut len = 0usize;
        let _: bool = raw::hostcall_kvstore_get(&mut p, &mut len, b"k".as_ptr(), 1);
        let _: bool = raw::hostcall_dns_query_raw(&mut p, &mut len, b"q".as_ptr(), 1);
        let mut addrs: *mut GuestSlice<u8> = ptr::null_mut();
        let _: bool = raw::hostcall_dns_query_ip(&mut addrs, &mut len, b"x".as_ptr(), 1, true);
        let none: &[GuestSlice<u8>] = &[];
        let _: HostcallStatus =
            raw::hostcall_req_set_header(1, b"a".as_ptr(), 1, none.as_ptr(), 0);
        let _: HostcallStatus = raw::hostcall_req_set_body(1, b"".as_ptr(), 0);
        let _: HostcallStatus =
            raw::hostcall_resp_set_header(0, b"a".as_ptr(), 1, none.as_ptr(), 0);
        let _: u64 = raw::hostcall_rng_next_u64();
        let mut nanos = 0u32;
        let _: u64 = raw::hostcall_time_now(&mut nanos);
        raw::hostcall_debug(b"x".as_ptr(), 1);
    }
}

/// The guest's handler, touching the rest of the API.
pub fn user_entrypoint(kvs: &mut KVStore, req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    raw_calls();
    let _ = kv(kvs);
    let _ = dns();
    let _: (Method, StatusCode, HeaderMap, Option<Error>) =
        (Method::GET, StatusCode::OK, HeaderMap::new(), None);
    let _: Uri = "/x".parse().unwrap();
    let t: Duration = Time::since_epoch();
    let _ = (t.as_secs(), t.subsec_nanos());
    let mut rng = http_guest::rand::guest_rng();
    let _ = rng.next_u64();
    http_guest::debug("debug line");
    hostcalls::debug("debug line");
    let a = send_async(Request::get("http://a/").body(vec![]).unwrap()).unwrap();
    let b = send_async(Request::get("http://b/").body(vec![]).unwrap()).unwrap();
    let _ = a == b;
    match select(&[&a, &b]) {
        Ok((done, resp)) => {
            let _ = (done == a, resp.status());
        }
        Err(done) => {
            let _ = done == b;
        }
    }
    match b.poll() {
        Ok(PollResult::NotReady(p)) => {
            let _ = p.wait();
        }
        Ok(PollResult::Response(r)) => {
            let _ = r.status();
        }
        Err(e) => {
            let _ = describe(&e);
        }
    }
    let _ = send_sync(
        Request::builder()
            .method("POST")
            .uri("http://c/")
            .body(b"x".to_vec())
            .unwrap(),
    );
    let incoming = RequestHandle::INCOMING;
    let _ = (incoming.get_path(), incoming.get_method(), incoming.get_body());
    let _ = (ResponseHandle::OUTGOING, PendingRequestHandle::ERROR);
    let _ = HostcallStatus::try_from_u8(0);
    let _ = http_guest::init_mm_default;
    let _ = http_guest::panic_set_once;
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "text/plain")
        .header("x-method", req.method().as_str())
        .body(b"ok".to_vec())
        .unwrap()
}

guest_app_kvs!(user_entrypoint);

fn plain(_req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    Response::new(Vec::new())
}

/// The raw entry points, which `guest_app!` and `guest_app_kvs!` expand to.
#[allow(dead_code)]
fn other_entry_points() {
    http_guest::raw_entrypoint(plain);
    http_guest::raw_entrypoint_kvs(user_entrypoint);
}
