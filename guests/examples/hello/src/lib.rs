//! `hello`: the smallest useful guest, written exactly as a Terrarium guest
//! was. Answers every request with 200, `content-type: text/plain` and the
//! body `Hello, world!`.

#[macro_use]
extern crate http_guest;

use http_guest::{Request, Response};

/// The request handler.
pub fn user_entrypoint(_req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body("Hello, world!".as_bytes().to_owned())
        .unwrap()
}

guest_app!(user_entrypoint);
