//! The SDK's global allocator (cargo feature `allocator`, on by default): a
//! bump allocator for guests that live for one request.
//!
//! Why not Rust's default (dlmalloc): on `wasm32-unknown-unknown` dlmalloc
//! takes all of its heap with `memory.grow` and never uses the free part of
//! the initial memory above `__heap_base`. Every request of every Rust guest
//! then grows memory, and a host that resets and reuses instances has to
//! replace grown memory with a fresh one each time (Vivarium does; it is the
//! largest per-request cost of a small Rust guest). This allocator hands out
//! the initial memory first, from `__heap_base` up to the end of the initial
//! pages, and only then calls `memory.grow`, so a request that fits in the
//! initial memory never grows it (size that with `--initial-memory`, see
//! `guests/README.md`).
//!
//! Each request runs on a fresh (or reset) instance whose memory is thrown
//! away afterwards, so freeing hardly matters and the allocator stays tiny:
//!
//! * allocation bumps a pointer (aligned as the layout asks);
//! * freeing the most recent allocation rolls the pointer back, other frees
//!   do nothing;
//! * reallocating the most recent allocation grows or shrinks it in place
//!   (a `Vec` or `String` that is being pushed to is usually the most recent
//!   allocation, so it grows without copying);
//! * when the memory is exhausted it grows by whole pages; if that fails it
//!   returns NULL (Rust then aborts: the guest traps), it never hands out
//!   memory twice.
//!
//! It assumes it owns all memory above `__heap_base` (true for a Rust guest
//! where it is the global allocator); if something else grows the memory
//! anyway, it continues above that.
//!
//! Guests that install their own `#[global_allocator]` (e.g. `wee_alloc`)
//! depend on `http_guest` with `default-features = false`.

use core::arch::wasm32;
use std::alloc::{GlobalAlloc, Layout};
use std::ptr;

const PAGE: usize = 65536;

extern "C" {
    /// First byte after static data and the stack; set by the linker.
    static __heap_base: u8;
}

/// The allocator state. Guests are single-threaded (no wasm threads), so
/// plain mutable statics are enough.
struct State {
    /// First free byte.
    next: usize,
    /// End of the memory this allocator may use (end of the linear memory
    /// as it last saw it); 0 until the first allocation.
    end: usize,
    /// Start of the most recent allocation still live (0 if none).
    last: usize,
    /// End of the initial memory (`end` at the first allocation).
    initial_end: usize,
}

static mut STATE: State = State {
    next: 0,
    end: 0,
    last: 0,
    initial_end: 0,
};

/// The SDK's global allocator. See the module documentation.
pub struct BumpAllocator;

/// End of the linear memory in bytes (saturating at 4 GiB - 1).
fn memory_end() -> usize {
    wasm32::memory_size(0).saturating_mul(PAGE)
}

impl State {
    fn init(&mut self) {
        if self.end == 0 {
            // SAFETY: only the address of the linker symbol is taken.
            self.next = unsafe { &__heap_base as *const u8 as usize };
            self.end = memory_end();
            self.initial_end = self.end;
        }
    }

    /// Make `[.., new_end)` usable by growing the memory contiguously from
    /// `self.end`. False if the memory cannot grow (or was grown by someone
    /// else, so growing would not be contiguous).
    fn reserve(&mut self, new_end: usize) -> bool {
        if new_end <= self.end {
            return true;
        }
        if memory_end() != self.end {
            return false;
        }
        let pages = (new_end - self.end + (PAGE - 1)) / PAGE;
        if wasm32::memory_grow(0, pages) == usize::MAX {
            return false;
        }
        self.end = memory_end();
        new_end <= self.end
    }

    fn alloc(&mut self, layout: Layout) -> *mut u8 {
        self.init();
        if self.next.saturating_add(layout.size()) > self.end && memory_end() != self.end {
            // Something else grew the memory: continue above it.
            self.next = memory_end();
            self.end = self.next;
        }
        // `align` is a power of two. Only absurd sizes or alignments can
        // overflow the address space; those fail cleanly.
        let start = match self.next.checked_add(layout.align() - 1) {
            Some(s) => s & !(layout.align() - 1),
            None => return ptr::null_mut(),
        };
        let new_end = match start.checked_add(layout.size()) {
            Some(e) => e,
            None => return ptr::null_mut(),
        };
        if !self.reserve(new_end) {
            return ptr::null_mut();
        }
        self.next = new_end;
        self.last = start;
        start as *mut u8
    }

    fn dealloc(&mut self, ptr: *mut u8) {
        if ptr as usize == self.last && self.last != 0 {
            self.next = self.last;
            self.last = 0;
        }
    }

    fn realloc(&mut self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = ptr as usize;
        if start == self.last {
            if let Some(new_end) = start.checked_add(new_size) {
                if self.reserve(new_end) {
                    self.next = new_end;
                    return ptr;
                }
            }
        }
        let new_layout = match Layout::from_size_align(new_size, layout.align()) {
            Ok(l) => l,
            Err(_) => return ptr::null_mut(),
        };
        let new_ptr = self.alloc(new_layout);
        if !new_ptr.is_null() {
            // SAFETY: both blocks are live and distinct (the new one lies
            // above the old one), each at least `min` bytes long.
            unsafe {
                ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size));
            }
        }
        new_ptr
    }
}

// SAFETY: blocks never overlap (the pointer only moves back over the most
// recent block when that block is freed), are aligned as asked, and lie in
// linear memory that exists (grown before use).
unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        STATE.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        STATE.dealloc(ptr)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        STATE.realloc(ptr, layout, new_size)
    }
}

/// Allocate `size` bytes aligned to 8 (`guest_malloc` with this allocator).
pub(crate) fn malloc8(size: usize) -> *mut u8 {
    match Layout::from_size_align(size.max(1), 8) {
        // SAFETY: single-threaded access to the state.
        Ok(l) => unsafe { STATE.alloc(l) },
        Err(_) => ptr::null_mut(),
    }
}

/// Free a block of this allocator whatever its layout (`guest_free`).
pub(crate) fn free_any(ptr: *mut u8) {
    // SAFETY: single-threaded access to the state.
    unsafe { STATE.dealloc(ptr) }
}

/// `(bytes above __heap_base in use, initial memory pages)`, for the
/// `heap-report` feature.
#[cfg(feature = "heap-report")]
pub(crate) fn heap_stats() -> (usize, usize) {
    // SAFETY: single-threaded access; only the address of the symbol is read.
    unsafe {
        STATE.init();
        (
            STATE.next - &__heap_base as *const u8 as usize,
            STATE.initial_end / PAGE,
        )
    }
}
