//! DNS resolution through the host.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ptr;

use crate::hostcalls::{raw, take_bytes, take_slices, GuestSlice};

/// DNS queries answered by the host's resolver.
pub struct DNS;

/// A DNS query failed.
#[derive(Debug)]
pub struct DNSError(&'static str);

impl DNSError {
    /// A short description of the failure.
    pub fn description(&self) -> &'static str {
        self.0
    }
}

impl From<&'static str> for DNSError {
    fn from(description: &'static str) -> Self {
        DNSError(description)
    }
}

impl fmt::Display for DNSError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for DNSError {}

impl DNS {
    /// Send a wire-format DNS query (RFC 1035) to the upstream resolver and
    /// return the wire-format answer. The answer's transaction id is the
    /// query's.
    pub fn query_raw(query: &[u8]) -> Result<Vec<u8>, DNSError> {
        let mut p: *mut u8 = ptr::null_mut();
        let mut len: usize = 0;
        unsafe { raw::hostcall_dns_query_raw(&mut p, &mut len, query.as_ptr(), query.len()) };
        if p.is_null() {
            return Err(DNSError::from("Unable to resolve a raw query"));
        }
        Ok(unsafe { take_bytes(p, len) })
    }

    /// The IPv4 (A, `ipv6 == false`) or IPv6 (AAAA, `ipv6 == true`)
    /// addresses of `name`.
    ///
    /// The host signals failure with a NULL array pointer. A NULL pointer
    /// together with a non-zero return value of the hostcall is read as a
    /// successful answer without records (`Ok` with an empty vector).
    pub fn query_ip(name: &str, ipv6: bool) -> Result<Vec<IpAddr>, DNSError> {
        let mut p: *mut GuestSlice<u8> = ptr::null_mut();
        let mut len: usize = 0;
        let ret = unsafe {
            raw::hostcall_dns_query_ip(
                &mut p,
                &mut len,
                name.as_ptr(),
                name.len(),
                ipv6,
            )
        };
        if p.is_null() {
            return if ret {
                Ok(Vec::new())
            } else {
                Err(DNSError::from("Unable to resolve an IP query"))
            };
        }
        let raw_addrs = unsafe { take_slices(p, len) };
        let mut addrs = Vec::with_capacity(raw_addrs.len());
        for a in raw_addrs {
            match a.len() {
                4 => {
                    let mut b = [0u8; 4];
                    b.copy_from_slice(&a);
                    addrs.push(IpAddr::V4(Ipv4Addr::from(b)));
                }
                16 => {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(&a);
                    addrs.push(IpAddr::V6(Ipv6Addr::from(b)));
                }
                _ => {
                    return Err(DNSError::from(
                        "The host returned an address that is neither 4 nor 16 bytes",
                    ))
                }
            }
        }
        Ok(addrs)
    }
}
