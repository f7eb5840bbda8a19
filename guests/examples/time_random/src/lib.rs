//! `time_random`: the host's clock and random numbers.
//!
//! Any request answers 200 `application/json`, e.g.
//!
//! ```text
//! {"secs": 1732480000, "subsec_nanos": 123456789, "random_u64": [1234, 5678], "random_hex": "9f3c0a1b2c3d4e5f"}
//! ```
//!
//! `secs`/`subsec_nanos` come from `Time::since_epoch()`, `random_u64` from
//! `rand::next_u64()` and `random_hex` from `rand::fill_bytes` (8 bytes).

#[macro_use]
extern crate http_guest;

use http_guest::{rand, Request, Response, Time};

/// The request handler.
pub fn time_random(_req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let now = Time::since_epoch();
    let a = rand::next_u64();
    let b = rand::next_u64();
    let mut bytes = [0u8; 8];
    rand::fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{:02x}", b)).collect();
    let body = format!(
        "{{\"secs\": {}, \"subsec_nanos\": {}, \"random_u64\": [{}, {}], \"random_hex\": \"{}\"}}\n",
        now.as_secs(),
        now.subsec_nanos(),
        a,
        b,
        hex
    );
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.into_bytes())
        .unwrap()
}

guest_app!(time_random);
