//! `kv_counter`: a per-deployment request counter kept in the KV store.
//!
//! * any request (e.g. `GET /count`): increments the counter stored at key
//!   `kv_counter:count` (decimal text) and answers 200 with the new count
//!   followed by a newline, e.g. `1\n`, then `2\n`, ...
//! * `DELETE` or a `reset` query parameter (`/count?reset`): removes the key
//!   and answers 200 `reset\n`; the next request counts `1` again.
//!
//! The read-modify-write is not atomic: two concurrent requests may both
//! write the same count.

#[macro_use]
extern crate http_guest;

use http_guest::{text_response, KVStore, Method, Request, Response};

/// The KV key holding the count.
const KEY: &str = "kv_counter:count";

fn wants_reset(req: &Request<Vec<u8>>) -> bool {
    if req.method() == Method::DELETE {
        return true;
    }
    req.uri()
        .query()
        .map(|q| {
            q.split('&')
                .any(|p| p == "reset" || p.starts_with("reset="))
        })
        .unwrap_or(false)
}

/// The request handler.
pub fn counter(kvs: &mut KVStore, req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    if wants_reset(req) {
        kvs.remove(KEY);
        return text_response(200, "reset\n".to_string());
    }
    let current: u64 = kvs
        .get(KEY)
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let next = current + 1;
    kvs.insert(KEY, next.to_string().as_bytes());
    text_response(200, format!("{}\n", next))
}

guest_app_kvs!(counter);
