//! The request's child prepares the heap its request will grow into while it still waits for that request. A fresh
//! page costs a minor fault on first touch (about 4 µs on this 2-core VM at load 2, 17-25 µs at load 6-7, in a test
//! program), and glibc's defaults add more: blocks of 128 KB and up come from mmap (fresh pages again) until its
//! adaptive threshold has risen, and heap given back at the top is faulted in anew when the heap grows again.
//! `./bench --latency`'s RK4 request took 1006 minor faults in its child (getrusage around the request, in an
//! instrumented build); with the child keeping blocks of up to 32 MB in its heap, never trimming it, and touching
//! 2 MB of it in advance (2.0 ms, 516 faults), the request took 511. From the start of a worker to its answer, that
//! request sent after 0.3 s (the child waiting): median 79.0 -> 68.6 ms and 106.0 -> 90.7 ms in two runs of 20 and
//! 30 alternated pairs; sent at once (back to back): 148.8 and 148.8 ms (30 pairs, load 1.8-2.8), as the request no
//! longer faults what the child touched. Freeing the touched block merges it into the top of the heap, whose pages
//! stay (writes of zero, so glibc's assumption that fresh top memory is zero still holds for calloc).

use std::ffi::{c_int, c_void};

extern "C" {
    fn mallopt(param: c_int, value: c_int) -> c_int;
    fn malloc(size: usize) -> *mut c_void;
    fn free(pointer: *mut c_void);
}

const M_TRIM_THRESHOLD: c_int = -1;
const M_MMAP_THRESHOLD: c_int = -3;

/// How much heap a request's child touches before reading its request.
pub const PREFAULT_BYTES: usize = 2 << 20;
const PAGE: usize = 4096;

/// Keeps blocks of up to 32 MB in this process's heap, never gives heap back, and touches `bytes` of fresh heap.
pub fn prefault(bytes: usize) {
    // SAFETY: glibc's documented tuning calls; the block is written only within its size and freed once.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, c_int::MAX);
        let block = malloc(bytes) as *mut u8;
        if block.is_null() {
            return;
        }
        for offset in (0..bytes).step_by(PAGE) {
            std::ptr::write_volatile(block.add(offset), 0);
        }
        free(block as *mut c_void);
    }
}
