//! `fetch`: fetches the URL given in query parameter `url` with a
//! synchronous GET and relays the upstream response.
//!
//! `GET /fetch?url=http://127.0.0.1:8080/` answers with the upstream's status
//! code, its body, its `content-type` (if any) and a header
//! `x-upstream-status: <code>`. The `url` value may be percent-encoded.
//!
//! Errors: no `url` -> 400; a URL that does not parse -> 400; the host
//! failing the request (connection refused, bad URL, ...) -> 502 with
//! `fetch failed: ...`.

#[macro_use]
extern crate http_guest;

use http_guest::{header, query_params, text_response, Request, RequestExt, Response};

/// The request handler.
pub fn fetch(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let url = match query_params(req, "url").into_iter().next() {
        Some(u) if !u.is_empty() => u,
        _ => return text_response(400, "missing query parameter: url\n".to_string()),
    };
    let upstream_req = match Request::builder()
        .method("GET")
        .uri(url.as_str())
        .body(Vec::new())
    {
        Ok(r) => r,
        Err(e) => return text_response(400, format!("invalid url {}: {}\n", url, e)),
    };
    match upstream_req.send() {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let mut builder = Response::builder()
                .status(status)
                .header("x-upstream-status", status.to_string());
            if let Some(ct) = resp.headers().get(header::CONTENT_TYPE) {
                builder = builder.header(header::CONTENT_TYPE, ct.clone());
            }
            builder.body(resp.into_body()).unwrap()
        }
        Err(e) => text_response(502, format!("fetch failed: {}: {}\n", url, e)),
    }
}

guest_app!(fetch);
