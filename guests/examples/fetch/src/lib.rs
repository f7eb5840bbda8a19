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

use http_guest::{header, Request, RequestExt, Response};

fn text(status: u16, body: String) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(body.into_bytes())
        .unwrap()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decode `%XX` escapes and `+` (space) in a query component.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// All values of query parameter `name`, decoded.
fn query_params(req: &Request<Vec<u8>>, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(q) = req.uri().query() {
        for pair in q.split('&') {
            let mut kv = pair.splitn(2, '=');
            let k = kv.next().unwrap_or("");
            if percent_decode(k) == name {
                out.push(percent_decode(kv.next().unwrap_or("")));
            }
        }
    }
    out
}

/// The request handler.
pub fn fetch(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let url = match query_params(req, "url").into_iter().next() {
        Some(u) if !u.is_empty() => u,
        _ => return text(400, "missing query parameter: url\n".to_string()),
    };
    let upstream_req = match Request::builder()
        .method("GET")
        .uri(url.as_str())
        .body(Vec::new())
    {
        Ok(r) => r,
        Err(e) => return text(400, format!("invalid url {}: {}\n", url, e)),
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
        Err(e) => text(502, format!("fetch failed: {}: {}\n", url, e)),
    }
}

guest_app!(fetch);
