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

use http_guest::{Request, Response, DNS};

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
pub fn dns(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let name = match query_params(req, "name").into_iter().next() {
        Some(n) if !n.is_empty() => n,
        _ => return text(400, "missing query parameter: name\n".to_string()),
    };
    let ipv6 = query_params(req, "ipv6")
        .iter()
        .any(|v| v == "1" || v == "true" || v == "yes");
    match DNS::query_ip(&name, ipv6) {
        Ok(addrs) if addrs.is_empty() => text(404, format!("no addresses for {}\n", name)),
        Ok(addrs) => {
            let mut out = String::new();
            for a in addrs {
                out.push_str(&a.to_string());
                out.push('\n');
            }
            text(200, out)
        }
        Err(e) => text(502, format!("dns query failed for {}: {}\n", name, e)),
    }
}

guest_app!(dns);
