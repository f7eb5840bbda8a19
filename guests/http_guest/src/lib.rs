//! `http_guest`: the Rust SDK for Vivarium guests.
//!
//! A guest is a WebAssembly module (built for `wasm32-unknown-unknown` as a
//! `cdylib`) that exports one function, `run`, and talks to the host only
//! through the "hostcalls" imported from module `"env"`. The contract is in
//! `guests/ABI.md`; this crate re-creates the API of Fastly Terrarium's
//! `http_guest` 0.1 crate so that Terrarium guests compile unchanged:
//!
//! ```text
//! #[macro_use]
//! extern crate http_guest;
//!
//! use http_guest::{Request, Response};
//!
//! pub fn user_entrypoint(_req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
//!     Response::builder()
//!         .status(200)
//!         .header("content-type", "text/plain")
//!         .body(b"Hello, world!".to_vec())
//!         .unwrap()
//! }
//!
//! guest_app!(user_entrypoint);
//! ```
//!
//! What is here:
//!
//! * [`guest_app!`] and [`guest_app_kvs!`] define the exported `run` function;
//! * the `http` crate's [`Request`], [`Response`], [`header`], [`HeaderMap`],
//!   [`Method`], [`StatusCode`], [`Uri`] and [`Error`] are re-exported;
//! * [`RequestExt`] sends outgoing requests (`send`, `send_async`),
//!   [`PendingRequest`] and [`select`] wait for them;
//! * [`KVStore`] is the per-deployment key-value store;
//! * [`DNS`], [`Time`], [`rand`] and [`debug`] wrap the remaining hostcalls;
//! * [`text_response`], [`query_params`] and [`percent_decode`] are the
//!   helpers the examples share (Vivarium additions);
//! * [`hostcalls`] has the raw imports (`hostcalls::raw`) and thin,
//!   handle-based wrappers.
//!
//! Memory: [`init_mm_default`] registers [`guest_malloc`]/[`guest_free`] with
//! the host (`hostcall_init_mm`). The host then allocates every buffer it
//! hands to the guest with them, and the wrappers here turn each buffer into
//! a `Vec`/`String` (or free it). The macros call `init_mm_default` for you.
//!
//! Global allocator (cargo feature `allocator`, on by default): the crate
//! installs a small bump allocator as the `#[global_allocator]`. It serves
//! allocations from the free part of the *initial* memory (between
//! `__heap_base` and the end of the initial pages) before it grows the
//! memory, frees the most recent allocation by rolling back, and grows the
//! most recent allocation in place; other frees are no-ops, which is right
//! for a guest whose instance lives for one request. Rust's default allocator
//! (dlmalloc) would grow the memory on every request, which a host that
//! resets and reuses instances pays for on every request. Out of memory
//! (the host refuses to grow the memory) makes the allocation fail, and Rust
//! aborts: the guest traps. A guest that installs its own global allocator
//! (e.g. `wee_alloc`, as some Terrarium guests did) must turn the feature
//! off, a `Cargo.toml`-only change:
//!
//! ```toml
//! [dependencies]
//! http_guest = { path = "...", default-features = false }
//! ```
//!
//! Feature `heap-report` (off by default) logs, after each request, the heap
//! bytes the request used and whether the memory grew (one `debug` line),
//! to size a guest's initial memory (`--initial-memory`, see
//! `guests/README.md`).
//!
//! Vivarium extension: [`KVStore::insert_with_ttl`] (hostcall
//! `hostcall_kvstore_insert_ttl`). A guest that uses it runs only on Vivarium.
//!
//! Differences from Terrarium's crate, forced by the `http` version available
//! (0.2 instead of 0.1): `http` 0.2's builders take `self` by value, so
//! chained builder calls (`Response::builder().status(200).body(..)`) compile
//! unchanged but `let mut b = Response::builder(); b.status(200);` does not.
//! [`Time::since_epoch`] returns `std::time::Duration` (Terrarium used
//! `coarsetime::Duration`, which has the same `as_secs`/`subsec_nanos`), and
//! [`rand::GuestRng`] has inherent `next_u32`/`next_u64`/`fill_bytes`
//! methods instead of implementing `rand_core::RngCore`.

#![deny(missing_docs)]

/// The `http` crate (0.2) this SDK is built on, re-exported so that guests do
/// not need their own dependency on it.
pub extern crate http;

#[cfg(all(feature = "allocator", target_arch = "wasm32"))]
mod bump;
mod client;
mod dns;
mod guest_allocator;
pub mod hostcalls;
pub mod kvstore;
mod panic;
pub mod rand;
#[macro_use]
mod scaffolding;
pub mod time;
mod util;

pub use crate::client::{select, PendingRequest, PollResult, RequestExt, SendError};
pub use crate::dns::{DNSError, DNS};
pub use crate::kvstore::KVStore;
pub use crate::time::Time;
pub use crate::util::{percent_decode, query_params, text_response};
pub use http::{header, Error, HeaderMap, Method, Request, Response, StatusCode, Uri};

pub use crate::guest_allocator::{guest_free, guest_malloc, init_mm_default};
pub use crate::hostcalls::debug;
pub use crate::panic::panic_set_once;
pub use crate::scaffolding::{raw_entrypoint, raw_entrypoint_kvs};

/// The SDK's global allocator (cargo feature `allocator`, on by default);
/// see the crate documentation ("Memory").
#[cfg(all(feature = "allocator", target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: bump::BumpAllocator = bump::BumpAllocator;
