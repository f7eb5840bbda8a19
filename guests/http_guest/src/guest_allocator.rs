//! The allocator the SDK registers with the host (`hostcall_init_mm`).
//!
//! The host calls [`guest_malloc`] (through the function table) for every
//! buffer it returns to the guest; the SDK copies the bytes out and releases
//! the buffer with [`guest_free`]. Each block carries an 8-byte header with
//! its size, so `free` needs only the pointer, as in C.

use crate::hostcalls::raw;
use std::alloc::{alloc, dealloc, Layout};
use std::ptr;

const HEADER: usize = 8;
const ALIGN: usize = 8;

/// Allocate `size` bytes (8-byte aligned) for the host; NULL on failure.
///
/// This is the `malloc` registered by [`init_mm_default`]; guests rarely call
/// it directly.
pub extern "C" fn guest_malloc(size: usize) -> *mut u8 {
    let total = match size.checked_add(HEADER) {
        Some(t) => t,
        None => return ptr::null_mut(),
    };
    let layout = match Layout::from_size_align(total, ALIGN) {
        Ok(l) => l,
        Err(_) => return ptr::null_mut(),
    };
    unsafe {
        let base = alloc(layout);
        if base.is_null() {
            return ptr::null_mut();
        }
        (base as *mut usize).write(size);
        base.add(HEADER)
    }
}

/// Free a block returned by [`guest_malloc`] (NULL is ignored).
///
/// This is the `free` registered by [`init_mm_default`]; the SDK uses it for
/// every buffer the host returns. Guests that call raw hostcalls use it to
/// free what the host wrote to their out-params.
///
/// # Safety
/// `ptr` must be NULL or a pointer returned by [`guest_malloc`] (directly or
/// through the host) that has not been freed yet.
pub unsafe extern "C" fn guest_free(ptr: *mut u8) {
    if ptr.is_null() {
        return;
    }
    let base = ptr.sub(HEADER);
    let size = (base as *const usize).read();
    dealloc(base, Layout::from_size_align_unchecked(size + HEADER, ALIGN));
}

/// Free a host-returned buffer (crate-internal shorthand).
///
/// # Safety
/// As for [`guest_free`].
pub(crate) unsafe fn free<T>(ptr: *mut T) {
    guest_free(ptr as *mut u8)
}

/// Register [`guest_malloc`] and [`guest_free`] with the host.
///
/// The function pointers are passed as their indices in the module's
/// function table. Called by [`guest_app!`](crate::guest_app) and
/// [`guest_app_kvs!`](crate::guest_app_kvs); calling it more than once is
/// harmless.
pub fn init_mm_default() {
    // A function pointer's integer value is its function-table index.
    let malloc_idx = guest_malloc as extern "C" fn(usize) -> *mut u8 as usize as i32;
    let free_idx = guest_free as unsafe extern "C" fn(*mut u8) as usize as i32;
    unsafe { raw::hostcall_init_mm(malloc_idx, free_idx) }
}
