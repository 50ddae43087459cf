//! The long-lived mode: framed requests on stdin, one at a time, framed responses on stdout (PROTOCOL.md).
//! A failing request is answered and the loop goes on; only a broken stream ends the process. Crashes that
//! cannot be caught (an abort inside LLVM or Enzyme) end it too, and the client restarts the worker.
//!
//! Each request is read and answered by a child forked from a parent that does nothing else, so every request
//! starts from the same process state. Enzyme numbers a function's return paths in the order of pointer-keyed
//! sets, so in one long-lived process the same module came back in different shapes (Rosenbrock's gradient in
//! 610, 621, 692 or 703 lines, depending on what was compiled before), while fresh processes gave the same code
//! every time: a user's gradient and the bench's are now the same code, request after request.
//!
//! Fresh processes agree only without address-space randomisation, since pointer hashes follow the addresses: with
//! it, the same request gave 610, 621 or 703 lines in three runs of one worker. The serving worker therefore
//! re-executes itself once with randomisation off (what `setarch -R` does). It compiles only modules our own
//! frontend lowered; where the system refuses (a seccomp filter), it serves with randomisation, merely less
//! repeatably.
//!
//! The same re-execution enlarges glibc's per-thread cache of freed blocks ([`MALLOC_TUNING`]): LLVM and Enzyme
//! allocate and free small objects by the million, and with glibc's default of 7 cached blocks per size most frees
//! took malloc's slow path. On `./bench --latency`'s RK4 request (callgrind) the request's process ran 216.6M
//! instructions with the default, 206.3M with 256 blocks, 205.8M with 1024 or 65535. A user's own
//! `GLIBC_TUNABLES` is kept, and a cache size given there wins. Each child prepares its heap while it waits for its
//! request (`heap_prefault`).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, AsRawFd, FromRawFd};
use std::os::unix::process::CommandExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::frame::{Frame, ReadError};
use crate::heap_prefault;
use crate::pipeline::{self, Failure, Phase};
use crate::protocol::{self, Command};

extern "C" {
    fn dup2(old: std::ffi::c_int, new: std::ffi::c_int) -> std::ffi::c_int;
    fn fork() -> std::ffi::c_int;
    fn waitpid(pid: std::ffi::c_int, status: *mut std::ffi::c_int, options: std::ffi::c_int) -> std::ffi::c_int;
    fn prctl(option: std::ffi::c_int, arg2: std::ffi::c_ulong, ...) -> std::ffi::c_int;
    fn _exit(status: std::ffi::c_int) -> !;
    fn personality(persona: std::ffi::c_ulong) -> std::ffi::c_int;
}

const ADDR_NO_RANDOMIZE: std::ffi::c_int = 0x0040000;

/// glibc's per-thread cache: up to 1024 freed blocks of each size class (up to 1032 bytes) are kept for reuse.
pub const MALLOC_TUNING: &str = "glibc.malloc.tcache_count=1024";
const TUNABLES: &str = "GLIBC_TUNABLES";
const QUERY_PERSONALITY: std::ffi::c_ulong = 0xffff_ffff;

const PR_SET_PDEATHSIG: std::ffi::c_int = 1;
const SIGKILL: std::ffi::c_ulong = 9;

/// How a child that served one request ended: the parent goes on, or ends with the child's exit code.
const ANSWERED: i32 = 0;
const END_OF_STREAM: i32 = 100;

/// Serves until stdin closes (exit code 0) or the stream breaks (2).
pub fn run() -> i32 {
    without_address_randomisation();
    let output = match protocol_channel() {
        Ok(file) => file,
        Err(e) => {
            eprintln!("jenzyme-worker: cannot set up the protocol channel: {e}");
            return 2;
        }
    };
    loop {
        // SAFETY: the worker is single-threaded; the child only serves one request and leaves with _exit.
        let pid = unsafe { fork() };
        if pid < 0 {
            eprintln!("jenzyme-worker: cannot fork: {}", io::Error::last_os_error());
            return serve_one(&output);
        }
        if pid == 0 {
            // SAFETY: prctl on this process; a child must not outlive a worker the client killed.
            unsafe { prctl(PR_SET_PDEATHSIG, SIGKILL) };
            heap_prefault::prefault(heap_prefault::PREFAULT_BYTES, 0);
            let code = serve_one(&output);
            // SAFETY: ends the child without running the parent's exit handlers or destructors twice.
            unsafe { _exit(code) }
        }
        match child_end(pid) {
            ANSWERED => {}
            END_OF_STREAM => return 0,
            code => return code,
        }
    }
}

/// Re-executes this worker with address-space randomisation off, unless it is off already or cannot be turned off,
/// and with [`MALLOC_TUNING`] in the new process's environment (glibc reads it at start only). A worker started
/// without randomisation (`setarch -R`, as for callgrind) is not re-executed, so it runs with glibc's defaults
/// unless given `GLIBC_TUNABLES` itself.
fn without_address_randomisation() {
    // SAFETY: personality only reads or sets this process's execution domain flags.
    let current = unsafe { personality(QUERY_PERSONALITY) };
    if current < 0 || current & ADDR_NO_RANDOMIZE != 0 {
        return;
    }
    // SAFETY: as above; the flag takes effect at the exec below.
    if unsafe { personality((current | ADDR_NO_RANDOMIZE) as std::ffi::c_ulong) } < 0 {
        return;
    }
    let mut command = std::process::Command::new("/proc/self/exe");
    command.args(std::env::args_os().skip(1));
    if let Some(tunables) = with_malloc_tuning(std::env::var(TUNABLES).ok()) {
        command.env(TUNABLES, tunables);
    }
    let error = command.exec();
    eprintln!("jenzyme-worker: serving with address randomisation and glibc's malloc defaults, could not re-execute: {error}");
}

/// `GLIBC_TUNABLES` with [`MALLOC_TUNING`] added, or `None` when it needs nothing: it has it, or its own cache size.
pub fn with_malloc_tuning(tunables: Option<String>) -> Option<String> {
    let setting = MALLOC_TUNING.split_once('=').unwrap().0;
    match tunables.filter(|t| !t.is_empty()) {
        None => Some(MALLOC_TUNING.to_string()),
        Some(t) if t.split(':').any(|entry| entry.split_once('=').map(|(name, _)| name) == Some(setting)) => None,
        Some(t) => Some(format!("{t}:{MALLOC_TUNING}")),
    }
}

/// Reads one request from stdin and writes its answer: `ANSWERED`, `END_OF_STREAM`, or the exit code
/// the worker ends with (2: the stream is out of step, 3: the client went away).
fn serve_one(output: &File) -> i32 {
    // Unbuffered: the child reads exactly one frame, nothing of the next request.
    // SAFETY: fd 0 stays open for the process's lifetime; ManuallyDrop never closes it.
    let mut input = ManuallyDrop::new(unsafe { File::from_raw_fd(0) });
    let mut output = BufWriter::new(output);
    let (response, code) = match Frame::read_from(&mut *input) {
        Err(ReadError::EndOfStream) => return END_OF_STREAM,
        Err(ReadError::Broken(message)) => {
            // The stream is out of step: answer once so the client sees why, then stop.
            let frame = Frame::new().with("status", "error").with("phase", "protocol").with_section("message", message.into_bytes());
            (frame, 2)
        }
        Ok(frame) => (answer(frame), ANSWERED),
    };
    if let Err(e) = response.write_to(&mut output).and_then(|()| output.flush()) {
        eprintln!("jenzyme-worker: the client went away: {e}");
        return 3;
    }
    code
}

/// The parent's view of a child: its exit code, or 128 + the signal that killed it (how a shell reports it), so a
/// crash inside LLVM or Enzyme ends the worker as it did before requests were forked.
fn child_end(pid: std::ffi::c_int) -> i32 {
    let mut status: std::ffi::c_int = 0;
    loop {
        // SAFETY: waits for this process's own child.
        if unsafe { waitpid(pid, &mut status, 0) } == pid {
            break;
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            eprintln!("jenzyme-worker: lost the request's process: {}", io::Error::last_os_error());
            return 2;
        }
    }
    let signal = status & 0x7f;
    if signal == 0 {
        (status >> 8) & 0xff
    } else {
        eprintln!("jenzyme-worker: the request's process was killed by signal {signal}");
        128 + signal
    }
}

/// Responses get a private duplicate of stdout, and fd 1 becomes stderr: whatever LLVM or Enzyme print to
/// stdout can then never corrupt the frames.
fn protocol_channel() -> io::Result<File> {
    let stdout = io::stdout();
    let private = stdout.as_fd().try_clone_to_owned()?;
    // SAFETY: dup2 on two descriptors this process owns; Rust's stdout handle keeps writing to fd 1.
    if unsafe { dup2(io::stderr().as_raw_fd(), stdout.as_raw_fd()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(File::from(private))
}

fn answer(frame: Frame) -> Frame {
    match protocol::decode(frame) {
        Err(message) => protocol::request_error(message),
        Ok(Command::Ping) => protocol::pong(),
        Ok(Command::DebugAbort) => {
            eprintln!("jenzyme-worker: aborting on request (debug-abort)");
            std::process::abort()
        }
        Ok(Command::DebugSleep { millis }) => {
            std::thread::sleep(Duration::from_millis(millis));
            protocol::pong()
        }
        Ok(Command::Differentiate { request, bitcode }) => {
            match catch_unwind(AssertUnwindSafe(|| pipeline::differentiate(&bitcode, &request))) {
                Ok(Ok(result)) => protocol::success(result),
                Ok(Err(failure)) => protocol::failure(failure),
                Err(panic) => protocol::failure(Failure { phase: Phase::Internal, message: panic_text(panic) }),
            }
        }
    }
}

pub fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
    let text = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("the worker hit a bug: {text}")
}
