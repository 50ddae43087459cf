//! The request's child prepares the heap its request will grow into while it still waits for that request. A fresh
//! page costs a minor fault on first touch (about 4 µs on this 2-core VM at load 2, 17-25 µs at load 6-7, in a test
//! program), and glibc's defaults add more: blocks of 128 KB and up come from mmap (fresh pages again) until its
//! adaptive threshold has risen, and heap given back at the top is faulted in anew when the heap grows again.
//! `./bench --latency`'s RK4 request took 1006 minor faults in its child (getrusage around the request, in an
//! instrumented build); with the child keeping blocks of up to 32 MB in its heap, never trimming it, and touching
//! 2 MB of it in advance (2.0 ms, 516 faults), the request took 511. Freeing the touched block merges it into the
//! top of the heap, whose pages stay (written with zeros, so glibc's assumption that fresh top memory is zero, which
//! calloc relies on, still holds).
//!
//! The touching is skipped when the request is already there (back to back, as the Java suites send them): touching
//! everything first cost those 370 requests 0.6 s more in sum (three alternated runs each, 20.2 against 19.6 s), as
//! small requests never use the 2 MB. From a worker's start to its answer, the RK4 request sent after 0.3 s: median
//! 78.2 -> 73.6 ms (25 alternated pairs, load 0.7-1.6); sent at once, 134.1 against 132.4 ms.

use std::ffi::{c_int, c_void};

#[repr(C)]
struct PollFd {
    fd: c_int,
    events: i16,
    revents: i16,
}

extern "C" {
    fn poll(fds: *mut PollFd, count: u64, timeout_ms: c_int) -> c_int;
    fn mallopt(param: c_int, value: c_int) -> c_int;
    fn malloc(size: usize) -> *mut c_void;
    fn free(pointer: *mut c_void);
}

const M_TRIM_THRESHOLD: c_int = -1;
const M_MMAP_THRESHOLD: c_int = -3;

/// How much heap a request's child touches before reading its request.
pub const PREFAULT_BYTES: usize = 2 << 20;
const PAGE: usize = 4096;

const POLLIN: i16 = 1;

/// Keeps blocks of up to 32 MB in this process's heap and never gives heap back; then, unless a request is already
/// waiting on `input` (back to back: the request would wait for the touching), touches `bytes` of fresh heap.
pub fn prefault(bytes: usize, input: c_int) {
    // SAFETY: glibc's documented tuning calls.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, c_int::MAX);
    }
    let mut waiting = PollFd { fd: input, events: POLLIN, revents: 0 };
    // SAFETY: one pollfd on this process's own descriptor, no waiting.
    if unsafe { poll(&mut waiting, 1, 0) } != 0 {
        return; // a request (or the end of the stream, or an error to report) is there already
    }
    // SAFETY: the block is written only within its size and freed once.
    unsafe {
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
