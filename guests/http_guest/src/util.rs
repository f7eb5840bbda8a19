//! Small helpers most guests write first: a plain-text response and the
//! query parameters of a request. Vivarium additions: Terrarium's crate had
//! none of them.

use http::{header, Request, Response};

/// A response with `status`, `content-type: text/plain` and `body`.
///
/// ```text
/// return text_response(400, "missing query parameter: url\n");
/// ```
pub fn text_response(status: u16, body: impl Into<Vec<u8>>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(body.into())
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

/// Decodes `%XX` escapes and `+` (a space) in a query component; a `%` not
/// followed by two hex digits stays as it is, and bytes that are not UTF-8
/// become U+FFFD.
pub fn percent_decode(s: &str) -> String {
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

/// Every value of query parameter `name`, decoded, in the order they appear
/// (`?url=a&url=b` gives `["a", "b"]`; `?flag` gives `[""]`).
pub fn query_params<B>(req: &Request<B>, name: &str) -> Vec<String> {
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
