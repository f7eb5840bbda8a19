//! `fanout`: sends a GET to every URL given in repeated `url` query
//! parameters, all at once with `send_async`, then collects the responses
//! with `select` as they complete.
//!
//! `GET /fanout?url=http://127.0.0.1:9000/slow&url=http://127.0.0.1:9000/fast`
//! answers 200 (`text/plain`) with one line per URL, in completion order:
//!
//! ```text
//! 1 200 http://127.0.0.1:9000/fast
//! 2 200 http://127.0.0.1:9000/slow
//! ```
//!
//! i.e. `<rank> <status> <url>`. A request that fails gets `error` instead
//! of a status; one that could not even be started is listed first as
//! `- error <url>`. No `url` parameter -> 400.

#[macro_use]
extern crate http_guest;

use http_guest::{
    query_params, select, text_response, PendingRequest, Request, RequestExt, Response,
};

/// The request handler.
pub fn fanout(req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let urls = query_params(req, "url");
    if urls.is_empty() {
        return text_response(400, "give one or more url query parameters\n".to_string());
    }
    let mut out = String::new();
    // (pending request, its url), in the order they were started.
    let mut pending: Vec<(PendingRequest, String)> = Vec::new();
    for url in urls {
        let started = Request::builder()
            .method("GET")
            .uri(url.as_str())
            .body(Vec::new())
            .ok()
            .and_then(|r| r.send_async().ok());
        match started {
            Some(pr) => pending.push((pr, url)),
            None => out.push_str(&format!("- error {}\n", url)),
        }
    }
    let mut rank = 0;
    while !pending.is_empty() {
        rank += 1;
        let result = {
            let prs: Vec<&PendingRequest> = pending.iter().map(|(pr, _)| pr).collect();
            select(&prs)
        };
        let (finished, status) = match result {
            Ok((pr, resp)) => (pr, resp.status().as_u16().to_string()),
            Err(pr) => (pr, "error".to_string()),
        };
        match pending.iter().position(|(pr, _)| *pr == finished) {
            Some(i) => {
                let (_, url) = pending.remove(i);
                out.push_str(&format!("{} {} {}\n", rank, status, url));
            }
            None => panic!("select returned a request that was not passed to it"),
        }
    }
    text_response(200, out)
}

guest_app!(fanout);
