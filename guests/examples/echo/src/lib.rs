//! `echo`: answers 200 with a plain-text dump of the request it received:
//!
//! ```text
//! POST /echo?x=1
//! host: 127.0.0.1:8080
//! content-type: text/plain
//! ...
//!
//! <body>
//! ```
//!
//! First line: method, a space, path with query string. Then one
//! `name: value` line per header value (names lower-case, in the order the
//! host gave them), an empty line, and the body (non-UTF-8 bytes are shown
//! as U+FFFD).

#[macro_use]
extern crate http_guest;

use http_guest::{Request, Response};

/// The request handler.
pub fn echo(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let mut out = String::new();
    out.push_str(req.method().as_str());
    out.push(' ');
    out.push_str(&req.uri().to_string());
    out.push('\n');
    for (name, value) in req.headers() {
        out.push_str(name.as_str());
        out.push_str(": ");
        out.push_str(&String::from_utf8_lossy(value.as_bytes()));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(req.body()));
    Response::builder()
        .status(200)
        .header("content-type", "text/plain; charset=utf-8")
        .body(out.into_bytes())
        .unwrap()
}

guest_app!(echo);
