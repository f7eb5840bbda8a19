//! The allocator the SDK registers with the host (`hostcall_init_mm`).
//!
//! The host calls [`guest_malloc`] (through the function table) for every
//! buffer it returns to the guest and the SDK takes it over or releases it
//! with [`guest_free`]. `free` needs only the pointer, as in C:
//!
//! * with the SDK's own global allocator (cargo feature `allocator`, the
//!   default; see `bump.rs`) blocks need no bookkeeping at all, and the SDK
//!   turns host buffers into `Vec`s without copying them;
//! * without it (a guest with its own `#[global_allocator]`), each block
//!   carries an 8-byte header with its size for `dealloc`, and host buffers
//!   are copied into `Vec`s and freed.

use crate::hostcalls::raw;
use std::os::raw::c_void;

#[cfg(not(all(feature = "allocator", target_arch = "wasm32")))]
mod imp {
    use std::alloc::{alloc, dealloc, Layout};
    use std::ptr;

    const HEADER: usize = 8;
    const ALIGN: usize = 8;

    pub(super) fn malloc(size: usize) -> *mut u8 {
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

    pub(super) unsafe fn free(ptr: *mut u8) {
        let base = ptr.sub(HEADER);
        let size = (base as *const usize).read();
        dealloc(
            base,
            Layout::from_size_align_unchecked(size + HEADER, ALIGN),
        );
    }
}

#[cfg(all(feature = "allocator", target_arch = "wasm32"))]
mod imp {
    pub(super) fn malloc(size: usize) -> *mut u8 {
        crate::bump::malloc8(size)
    }

    pub(super) unsafe fn free(ptr: *mut u8) {
        crate::bump::free_any(ptr)
    }
}

/// Allocate `size` bytes (8-byte aligned) for the host; NULL on failure.
///
/// This is the `malloc` registered by [`init_mm_default`]; guests rarely call
/// it directly.
pub extern "C" fn guest_malloc(size: usize) -> *mut u8 {
    imp::malloc(size)
}

/// Free a block returned by [`guest_malloc`] (NULL is ignored).
///
/// This is the `free` registered by [`init_mm_default`]; the SDK uses it for
/// the buffers the host returns. Guests that call raw hostcalls use it to
/// free what the host wrote to their out-params.
///
/// # Safety
/// `ptr` must be NULL or a pointer returned by [`guest_malloc`] (directly or
/// through the host) that has not been freed yet.
pub unsafe extern "C" fn guest_free(ptr: *mut u8) {
    if !ptr.is_null() {
        imp::free(ptr)
    }
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
/// The host calls them through the module's function table. Called by [`guest_app!`](crate::guest_app) and
/// [`guest_app_kvs!`](crate::guest_app_kvs); calling it more than once is
/// harmless.
pub fn init_mm_default() {
    unsafe { raw::hostcall_init_mm(host_malloc, host_free) }
}

/// [`guest_malloc`] as `hostcall_init_mm` takes it.
extern "C" fn host_malloc(size: usize) -> *mut c_void {
    guest_malloc(size) as *mut c_void
}

/// [`guest_free`] as `hostcall_init_mm` takes it: the host frees only what it
/// allocated with [`host_malloc`].
extern "C" fn host_free(ptr: *mut c_void) {
    unsafe { guest_free(ptr as *mut u8) }
}
