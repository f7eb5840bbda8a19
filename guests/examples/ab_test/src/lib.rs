//! `ab_test`: splits visitors between two variants of a page and keeps each
//! visitor on theirs with a cookie, the way an A/B test runs at the edge.
//!
//! * A request with cookie `ab=A` or `ab=B` gets that variant.
//! * Any other request is assigned one at random (the host's random source)
//!   and gets `set-cookie: ab=<variant>; Path=/; Max-Age=2592000; HttpOnly;
//!   SameSite=Lax`, so its next requests see the same variant.
//!
//! The answer is 200 with `x-ab-variant: A` (or `B`), `vary: cookie` (so
//! caches keep the variants apart) and the variant's text, e.g.
//! `variant A: the classic page\n`.

#[macro_use]
extern crate http_guest;

use http_guest::{header, Request, Response};

/// The variant in the request's `ab` cookie, if it names one.
fn assigned(req: &Request<Vec<u8>>) -> Option<&'static str> {
    for value in req.headers().get_all(header::COOKIE) {
        let text = value.to_str().unwrap_or("");
        for pair in text.split(';') {
            match pair.trim() {
                "ab=A" => return Some("A"),
                "ab=B" => return Some("B"),
                _ => {}
            }
        }
    }
    None
}

/// The request handler.
pub fn ab_test(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let (variant, new) = match assigned(req) {
        Some(v) => (v, false),
        None => {
            let coin = http_guest::rand::guest_rng().next_u32() & 1;
            (if coin == 0 { "A" } else { "B" }, true)
        }
    };
    let page = if variant == "A" {
        "the classic page"
    } else {
        "the redesigned page"
    };
    let mut response = Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::VARY, "cookie")
        .header("x-ab-variant", variant);
    if new {
        response = response.header(
            header::SET_COOKIE,
            format!(
                "ab={}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax",
                variant
            ),
        );
    }
    response
        .body(format!("variant {}: {}\n", variant, page).into_bytes())
        .unwrap()
}

guest_app!(ab_test);
