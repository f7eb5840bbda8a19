//! `{{name}}`: a Vivarium guest in Rust. Answers every request with 200,
//! `content-type: text/plain` and a greeting. Edit it and save:
//! `vivarium dev` rebuilds and reloads.

#[macro_use]
extern crate http_guest;

use http_guest::{Request, Response};

pub fn user_entrypoint(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    http_guest::debug(&format!("{{name}}: {}", req.uri()));
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(b"Hello from {{name}}!\n".to_vec())
        .unwrap()
}

guest_app!(user_entrypoint);
