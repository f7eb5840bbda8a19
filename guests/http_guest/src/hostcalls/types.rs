//! Types shared by the raw hostcalls and their wrappers: handles, statuses
//! and the `GuestSlice` (pointer, length) pair.

use std::{mem, slice};

/// Status returned by the setter hostcalls: `0` = ok, `1` = invalid.
#[repr(u8)]
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum HostcallStatus {
    /// The call succeeded (`0`).
    Ok = 0,
    /// The call was rejected (`1`): bad handle, bad value, ...
    Invalid = 1,
}

impl HostcallStatus {
    /// Interpret a raw status value; `None` for anything but 0 and 1.
    pub fn try_from_u8(v: u8) -> Option<HostcallStatus> {
        match v {
            0 => Some(HostcallStatus::Ok),
            1 => Some(HostcallStatus::Invalid),
            _ => None,
        }
    }

    /// `true` for [`HostcallStatus::Ok`].
    pub fn is_ok(&self) -> bool {
        *self == HostcallStatus::Ok
    }
}

/// A (pointer, length-in-bytes) pair as laid out in guest memory: 8 bytes,
/// `i32 ptr` then `i32 len`. Header lists and DNS answers are arrays of these.
#[repr(C)]
#[derive(Debug)]
pub struct GuestSlice<T> {
    ptr: *const T,
    len: usize,
}

impl<T> GuestSlice<T> {
    /// A slice descriptor for `len` bytes at `ptr`.
    pub fn new(ptr: *const T, len: usize) -> Self {
        GuestSlice { ptr, len }
    }

    /// Borrow the described memory as a slice.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that stay valid for `'a`.
    pub unsafe fn to_slice<'a>(&self) -> &'a [T] {
        let size = mem::size_of::<T>().max(1);
        if self.len % size != 0 {
            panic!("GuestSlice didn't contain a multiple of element size");
        }
        if self.ptr.is_null() || self.len == 0 {
            return &[];
        }
        slice::from_raw_parts(self.ptr, self.len / size)
    }

    /// The raw pointer.
    pub fn raw(&self) -> *const T {
        self.ptr
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when the length is 0.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

macro_rules! handle_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Eq, Hash, PartialEq)]
        pub struct $name(i32);

        impl From<i32> for $name {
            fn from(i: i32) -> $name {
                $name(i)
            }
        }

        impl From<$name> for i32 {
            fn from(h: $name) -> i32 {
                h.0
            }
        }

        impl<'a> From<&'a $name> for i32 {
            fn from(h: &'a $name) -> i32 {
                h.0
            }
        }

        impl<'a> From<&'a mut $name> for i32 {
            fn from(h: &'a mut $name) -> i32 {
                h.0
            }
        }
    };
}

handle_type!(
    /// A request handle: `0` is the incoming request, `-1` an error, other
    /// values are requests created with `hostcall_req_create`.
    RequestHandle
);

handle_type!(
    /// A response handle: `0` is the outgoing response, `-1` an error, `-2`
    /// "not ready" (only from `pending_req_poll`), other values are received
    /// responses.
    ResponseHandle
);

handle_type!(
    /// A pending (asynchronously sent) request; `-1` is an error.
    PendingRequestHandle
);

impl RequestHandle {
    /// The request coming in to this guest (handle 0).
    pub const INCOMING: RequestHandle = RequestHandle(0);

    /// Sentinel value for errors (-1).
    pub const ERROR: RequestHandle = RequestHandle(-1);

    /// `true` for [`RequestHandle::ERROR`].
    pub fn is_error(&self) -> bool {
        *self == RequestHandle::ERROR
    }
}

impl ResponseHandle {
    /// The response going out of this guest (handle 0).
    pub const OUTGOING: ResponseHandle = ResponseHandle(0);

    /// Sentinel value for errors (-1).
    pub const ERROR: ResponseHandle = ResponseHandle(-1);

    /// Returned by `pending_req_poll` while the request is not complete (-2).
    pub const NOT_READY: ResponseHandle = ResponseHandle(-2);

    /// `true` for [`ResponseHandle::ERROR`].
    pub fn is_error(&self) -> bool {
        *self == ResponseHandle::ERROR
    }

    /// `true` for [`ResponseHandle::NOT_READY`].
    pub fn is_not_ready(&self) -> bool {
        *self == ResponseHandle::NOT_READY
    }
}

impl PendingRequestHandle {
    /// Sentinel value for errors (-1).
    pub const ERROR: PendingRequestHandle = PendingRequestHandle(-1);

    /// `true` for [`PendingRequestHandle::ERROR`].
    pub fn is_error(&self) -> bool {
        *self == PendingRequestHandle::ERROR
    }
}

/// Result of polling a pending request at the handle level.
#[derive(Debug, PartialEq)]
pub enum PollResult {
    /// Not complete yet; the handle is still valid.
    NotReady(PendingRequestHandle),
    /// Complete; the pending handle was consumed.
    Response(ResponseHandle),
    /// The request failed; the pending handle was consumed.
    Error,
}
