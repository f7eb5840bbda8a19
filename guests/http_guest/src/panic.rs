//! Reporting panics to the host.
//!
//! Guests are built with `panic = "abort"`. Rust still runs the panic hook
//! before aborting, so the hook installed here hands the message (with its
//! source location) to `hostcall_panic_hook`; the abort that follows is a
//! wasm `unreachable` trap, and the host answers with the message.

use std::panic;

use crate::hostcalls::panic_hook;

/// The panic hook: formats the panic (`panicked at '<message>', file:line:col`)
/// and passes it to `hostcall_panic_hook`.
fn hook(info: &panic::PanicInfo<'_>) {
    panic_hook(&info.to_string());
}

/// Install the hostcall panic hook the first time this is called; later
/// calls do nothing.
///
/// Called by [`guest_app!`](crate::guest_app) and
/// [`guest_app_kvs!`](crate::guest_app_kvs); harmless to call directly.
pub fn panic_set_once() {
    // Guests are single-threaded; an atomic flag is smaller than `Once`.
    use std::sync::atomic::{AtomicBool, Ordering};
    static HOOK_SET: AtomicBool = AtomicBool::new(false);
    if !HOOK_SET.swap(true, Ordering::SeqCst) {
        panic::set_hook(Box::new(hook));
    }
}
