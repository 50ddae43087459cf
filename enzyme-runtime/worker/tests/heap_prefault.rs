//! The heap a request's child touches while it waits (`heap_prefault`) is there for the request: blocks allocated
//! afterwards, up to that size, fault no fresh pages in. Runs on the process's main thread (no test harness), as
//! the child does: other threads allocate from other glibc arenas.

use jenzyme_worker::heap_prefault::{prefault, PREFAULT_BYTES};

/// Minor page faults of this thread so far (`getrusage(RUSAGE_THREAD)`, `ru_minflt`).
fn minor_faults() -> i64 {
    extern "C" {
        fn getrusage(who: i32, usage: *mut [i64; 18]) -> i32;
    }
    const RUSAGE_THREAD: i32 = 1;
    let mut usage = [0i64; 18];
    assert_eq!(unsafe { getrusage(RUSAGE_THREAD, &mut usage) }, 0);
    usage[8] // after two timevals (4 words) and ru_maxrss, ru_ixrss, ru_idrss, ru_isrss
}

/// Faults taken while allocating `bytes` in 1 KB blocks and writing each (the blocks are kept until the end).
fn faults_of_small_blocks(bytes: usize) -> i64 {
    let before = minor_faults();
    let blocks: Vec<Box<[u8; 1024]>> = (0..bytes / 1024).map(|i| Box::new([i as u8; 1024])).collect();
    let faults = minor_faults() - before;
    assert_eq!(blocks.iter().map(|b| b[0] as usize).sum::<usize>(), (0..bytes / 1024).map(|i| i % 256).sum::<usize>());
    faults
}

fn main() {
    let pages = (PREFAULT_BYTES * 3 / 4 / 4096) as i64;
    // Without it, fresh heap faults page by page.
    let unprepared = faults_of_small_blocks(PREFAULT_BYTES * 3 / 4);
    assert!(unprepared > pages / 2, "expected about {pages} faults from fresh heap, got {unprepared}");
    // A descriptor with input waiting: the heap is not touched, so the request is not kept waiting.
    let (reader, mut writer) = std::io::pipe().unwrap();
    std::io::Write::write_all(&mut writer, b"request").unwrap();
    prefault(PREFAULT_BYTES, std::os::fd::AsRawFd::as_raw_fd(&reader));
    let skipped = faults_of_small_blocks(PREFAULT_BYTES * 3 / 4);
    assert!(skipped > pages / 2, "expected no touching with a request waiting ({pages} faults), got {skipped}");
    // An idle descriptor: the child touches the heap while it waits.
    let (idle, _keep_open) = std::io::pipe().unwrap();
    prefault(PREFAULT_BYTES, std::os::fd::AsRawFd::as_raw_fd(&idle));
    let prepared = faults_of_small_blocks(PREFAULT_BYTES * 3 / 4);
    assert!(prepared < pages / 8, "expected the touched heap to serve {pages} pages without faults, got {prepared} faults");
    println!("heap_prefault: {unprepared} faults without, {skipped} with a request waiting, {prepared} idle ({pages} pages)");
}
