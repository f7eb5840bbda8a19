//! `panic`: panics on every request with the message
//! `boom: this guest panics on purpose`.
//!
//! The SDK's panic hook passes `panicked at 'boom: this guest panics on
//! purpose', examples/panic/src/lib.rs:LINE:COL` to `hostcall_panic_hook`;
//! the guest then traps (`unreachable`, as it is built with
//! `panic = "abort"`) and the host answers 500 with the message.

#[macro_use]
extern crate http_guest;

use http_guest::{Request, Response};

/// The request handler: always panics.
pub fn user_entrypoint(_req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    panic!("boom: this guest panics on purpose");
}

guest_app!(user_entrypoint);
