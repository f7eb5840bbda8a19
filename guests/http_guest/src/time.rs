//! Wall-clock time from the host.

use std::time::Duration;

use crate::hostcalls::raw::hostcall_time_now;

/// The host's clock.
pub struct Time {}

impl Time {
    /// Time elapsed since the Unix epoch (1970-01-01T00:00:00Z), with
    /// nanosecond resolution where the host has it.
    pub fn since_epoch() -> Duration {
        let mut subsec_nanos: u32 = 0;
        let secs = unsafe { hostcall_time_now(&mut subsec_nanos) };
        Duration::new(secs, subsec_nanos)
    }
}
