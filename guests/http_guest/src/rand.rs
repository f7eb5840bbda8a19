//! Random numbers from the host (`hostcall_rng_next_u64`).
//!
//! The host's generator is cryptographically strong. Terrarium exposed it as
//! [`GuestRng`] (from [`guest_rng`]) implementing `rand_core::RngCore`; here
//! `GuestRng` has the same methods as inherent methods (`next_u32`,
//! `next_u64`, `fill_bytes`, `try_fill_bytes`), and the free functions
//! [`next_u64`], [`next_u32`] and [`fill_bytes`] are shortcuts.

use crate::hostcalls::raw::hostcall_rng_next_u64;

/// Random number source for guest programs, backed by the host's
/// cryptographically strong generator.
#[derive(Clone, Debug)]
pub struct GuestRng {
    _private: (),
}

/// Get the random number source for this guest.
pub fn guest_rng() -> GuestRng {
    GuestRng { _private: () }
}

impl GuestRng {
    /// A random `u32`.
    pub fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    /// A random `u64`.
    pub fn next_u64(&mut self) -> u64 {
        unsafe { hostcall_rng_next_u64() }
    }

    /// Fill `dest` with random bytes.
    pub fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    /// Fill `dest` with random bytes; never fails.
    pub fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), std::convert::Infallible> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// A random `u64` from the host.
pub fn next_u64() -> u64 {
    guest_rng().next_u64()
}

/// A random `u32` from the host.
pub fn next_u32() -> u32 {
    guest_rng().next_u32()
}

/// Fill `dest` with random bytes from the host.
pub fn fill_bytes(dest: &mut [u8]) {
    guest_rng().fill_bytes(dest)
}
