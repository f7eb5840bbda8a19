//! `dns`: resolves a name with `DNS::query_ip`.
//!
//! `GET /dns?name=example.com` (A records) or
//! `GET /dns?name=example.com&ipv6=1` (AAAA records; `ipv6` may be
//! `1`, `true` or `yes`) answers 200 `text/plain` with one address per
//! line, e.g. `192.0.2.1\n`.
//!
//! No addresses -> 404 `no addresses for <name>\n`; resolver failure -> 502
//! `dns query failed for <name>: ...\n`; no `name` -> 400. (A host that
//! reports "no records" like a failure, i.e. NULL array and return value 0,
//! gives 502 instead of 404.)

#[macro_use]
extern crate http_guest;

use http_guest::{query_params, text_response, Request, Response, DNS};

/// The request handler.
pub fn dns(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let name = match query_params(req, "name").into_iter().next() {
        Some(n) if !n.is_empty() => n,
        _ => return text_response(400, "missing query parameter: name\n".to_string()),
    };
    let ipv6 = query_params(req, "ipv6")
        .iter()
        .any(|v| v == "1" || v == "true" || v == "yes");
    match DNS::query_ip(&name, ipv6) {
        Ok(addrs) if addrs.is_empty() => text_response(404, format!("no addresses for {}\n", name)),
        Ok(addrs) => {
            let mut out = String::new();
            for a in addrs {
                out.push_str(&a.to_string());
                out.push('\n');
            }
            text_response(200, out)
        }
        Err(e) => text_response(502, format!("dns query failed for {}: {}\n", name, e)),
    }
}

guest_app!(dns);
