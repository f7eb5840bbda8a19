//! Outgoing HTTP requests with the `http` crate's types.

use std::fmt;

use http::header::{HeaderName, HeaderValue};
use http::{Request, Response};

use crate::hostcalls::{self, HostcallStatus, PendingRequestHandle, RequestHandle, ResponseHandle};

/// Why sending a request failed.
#[derive(Debug)]
pub enum SendError {
    /// The host failed the request: malformed method or URL, connection
    /// error, timeout, a rejected header or body, ...
    Hostcall,
    /// A header value of the request could not be converted to a string.
    HeaderToStr(http::header::ToStrError),
    /// The response could not be built from what the host returned.
    Http(http::Error),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Hostcall => write!(f, "Hostcall send error"),
            SendError::HeaderToStr(e) => write!(f, "Header to str send error: {}", e),
            SendError::Http(e) => write!(f, "Http send error: {}", e),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Hostcall => None,
            SendError::HeaderToStr(e) => Some(e),
            SendError::Http(e) => Some(e),
        }
    }
}

impl From<http::Error> for SendError {
    fn from(e: http::Error) -> SendError {
        SendError::Http(e)
    }
}

/// A request that was sent with [`RequestExt::send_async`] and has not been
/// waited for yet.
#[derive(Debug, PartialEq)]
pub struct PendingRequest(PendingRequestHandle);

impl PendingRequest {
    /// The underlying hostcall handle.
    pub fn handle(&self) -> &PendingRequestHandle {
        &self.0
    }
}

/// The result of [`PendingRequest::poll`].
pub enum PollResult {
    /// The request has not completed; poll, wait or select on it again.
    NotReady(PendingRequest),
    /// The request has completed.
    Response(Response<Vec<u8>>),
}

/// Sending a [`Request`] through the host.
pub trait RequestExt {
    /// The response type ([`Response<Vec<u8>>`]).
    type R;
    /// The pending-request type ([`PendingRequest`]).
    type Pending;

    /// Send the request and block until the response arrives.
    ///
    /// The request's method, URI (must be absolute, e.g.
    /// `http://example.com/x`), headers and body are sent; its `version` is
    /// ignored.
    fn send(self) -> Result<Self::R, SendError>;

    /// Start sending the request and return at once; finish it with
    /// [`PendingRequest::wait`], [`PendingRequest::poll`] or [`select`].
    fn send_async(self) -> Result<Self::Pending, SendError>;
}

impl RequestExt for Request<Vec<u8>> {
    type R = Response<Vec<u8>>;
    type Pending = PendingRequest;

    fn send(self) -> Result<Response<Vec<u8>>, SendError> {
        let req = prepare_req(self)?;
        let resp = req.send().ok_or(SendError::Hostcall)?;
        build_response(&resp)
    }

    fn send_async(self) -> Result<PendingRequest, SendError> {
        let req = prepare_req(self)?;
        req.send_async()
            .map(PendingRequest)
            .ok_or(SendError::Hostcall)
    }
}

impl PendingRequest {
    /// Block until the request completes and return its response.
    pub fn wait(self) -> Result<Response<Vec<u8>>, SendError> {
        let resp = self.0.wait().ok_or(SendError::Hostcall)?;
        build_response(&resp)
    }

    /// Check without blocking. `Ok(PollResult::NotReady(self))` gives the
    /// request back to poll again later; `Ok(PollResult::Response(..))` when
    /// it has completed; `Err(SendError::Hostcall)` when it failed.
    pub fn poll(self) -> Result<PollResult, SendError> {
        match self.0.poll() {
            hostcalls::PollResult::Response(resp) => {
                build_response(&resp).map(PollResult::Response)
            }
            hostcalls::PollResult::NotReady(pr) => Ok(PollResult::NotReady(PendingRequest(pr))),
            hostcalls::PollResult::Error => Err(SendError::Hostcall),
        }
    }
}

/// Block until one of `prs` completes.
///
/// On success returns `Ok((finished, response))`; on failure
/// `Err(finished)`. `finished` compares equal (`==`) to the element of `prs`
/// that completed, so the caller can tell which one it was; it is no longer
/// valid for `wait`, `poll` or `select`. All other requests in `prs` stay
/// valid.
pub fn select(
    prs: &[&PendingRequest],
) -> Result<(PendingRequest, Response<Vec<u8>>), PendingRequest> {
    let handles: Vec<&PendingRequestHandle> = prs.iter().map(|pr| &pr.0).collect();
    match hostcalls::select(&handles) {
        Ok((pr, resp)) => match build_response(&resp) {
            Ok(resp) => Ok((PendingRequest(pr), resp)),
            // The request completed but its response could not be
            // represented; report it as failed.
            Err(_) => Err(PendingRequest(pr)),
        },
        Err(pr) => Err(PendingRequest(pr)),
    }
}

fn prepare_req(req: Request<Vec<u8>>) -> Result<RequestHandle, SendError> {
    let (parts, body) = req.into_parts();
    let mut handle = RequestHandle::create(parts.method.as_str(), &parts.uri.to_string())
        .ok_or(SendError::Hostcall)?;
    for name in parts.headers.keys() {
        let mut values = Vec::new();
        for v in parts.headers.get_all(name) {
            values.push(v.to_str().map_err(SendError::HeaderToStr)?);
        }
        if handle.set_header(name.as_str(), &values) != HostcallStatus::Ok {
            return Err(SendError::Hostcall);
        }
    }
    if !body.is_empty() && handle.set_body(&body) != HostcallStatus::Ok {
        return Err(SendError::Hostcall);
    }
    Ok(handle)
}

fn build_response(resp: &ResponseHandle) -> Result<Response<Vec<u8>>, SendError> {
    let mut builder = Response::builder().status(resp.get_response_code());
    for name in resp.get_headers() {
        let header_name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| SendError::Http(e.into()))?;
        for v in resp.get_header_bytes(&name) {
            let value = HeaderValue::from_bytes(&v).map_err(|e| SendError::Http(e.into()))?;
            builder = builder.header(header_name.clone(), value);
        }
    }
    builder.body(resp.get_body()).map_err(SendError::Http)
}
