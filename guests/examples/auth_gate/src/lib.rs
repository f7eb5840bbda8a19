//! `auth_gate`: lets only requests with the right bearer token through to the
//! site behind it, the way an edge auth check guards an origin.
//!
//! Route it as `/gate/*`. A request to `/gate/<rest>` with `authorization:
//! Bearer let-me-in` is sent on to the site itself at `/api/<rest>` (same
//! host, plain HTTP; the route's `outbound` must allow it), with its method,
//! query, body, `accept` and `content-type`, plus `x-authenticated: demo`;
//! the site's answer comes back with its status, body and `content-type`.
//! Any other request gets 401 with `www-authenticate: Bearer realm="gate"`
//! and never reaches the site. The site failing to answer gives 502.
//!
//! The token is a constant to keep the example short; a real gate would check
//! a signed token or ask an auth service with another outbound request.
//!
//! The origin is the host the client named (`Host`): what keeps the gate's
//! requests on this site is the route's `outbound` allowlist, so list only the
//! site's own address there (a guest has no other configuration; a real gate
//! would name its origin). It expects to be mounted at `/gate/*` in a webapp at
//! the root context.

#[macro_use]
extern crate http_guest;

use http_guest::{header, text_response, Request, RequestExt, Response};

const TOKEN: &[u8] = b"Bearer let-me-in";

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The request handler.
pub fn auth_gate(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let authorized = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| same(v.as_bytes(), TOKEN))
        .unwrap_or(false);
    if !authorized {
        let mut denied = text_response(401, "a bearer token is needed here\n");
        denied.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"gate\""),
        );
        return denied;
    }
    let host = match req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    {
        Some(h) => h,
        None => return text_response(400, "no host header\n"),
    };
    let path = req.uri().path();
    let rest = path.strip_prefix("/gate").unwrap_or(path);
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{}", q))
        .unwrap_or_default();
    let mut origin = Request::builder()
        .method(req.method().clone())
        .uri(format!("http://{}/api{}{}", host, rest, query))
        .header("x-authenticated", "demo");
    for name in &[header::ACCEPT, header::CONTENT_TYPE] {
        if let Some(v) = req.headers().get(name) {
            origin = origin.header(name, v.clone());
        }
    }
    let origin = match origin.body(req.body().clone()) {
        Ok(r) => r,
        Err(_) => return text_response(400, "cannot build the request to the site\n"),
    };
    match origin.send() {
        Ok(resp) => {
            let mut answer = Response::builder().status(resp.status());
            if let Some(ct) = resp.headers().get(header::CONTENT_TYPE) {
                answer = answer.header(header::CONTENT_TYPE, ct.clone());
            }
            answer.body(resp.into_body()).unwrap()
        }
        Err(e) => text_response(502, format!("the site did not answer: {}\n", e)),
    }
}

guest_app!(auth_gate);
