//! The long-lived mode: framed requests on stdin, one at a time, framed responses on stdout (PROTOCOL.md).
//! A failing request is answered and the loop goes on; only a broken stream ends the process. Crashes that
//! cannot be caught (an abort inside LLVM or Enzyme) end it too, and the client restarts the worker.

use std::fs::File;
use std::io::{self, BufWriter};
use std::os::fd::{AsFd, AsRawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use crate::frame::{Frame, ReadError};
use crate::pipeline::{self, Failure, Phase};
use crate::protocol::{self, Command};

extern "C" {
    fn dup2(old: std::ffi::c_int, new: std::ffi::c_int) -> std::ffi::c_int;
}

/// Serves until stdin closes (exit code 0) or the stream breaks (2).
pub fn run() -> i32 {
    let output = match protocol_channel() {
        Ok(file) => file,
        Err(e) => {
            eprintln!("jenzyme-worker: cannot set up the protocol channel: {e}");
            return 2;
        }
    };
    let mut output = BufWriter::new(output);
    let mut input = io::stdin().lock();
    loop {
        let response = match Frame::read_from(&mut input) {
            Err(ReadError::EndOfStream) => return 0,
            Err(ReadError::Broken(message)) => {
                // The stream is out of step: answer once so the client sees why, then stop.
                let frame = Frame::new().with("status", "error").with("phase", "protocol").with_section("message", message.into_bytes());
                let _ = frame.write_to(&mut output);
                return 2;
            }
            Ok(frame) => answer(frame),
        };
        if let Err(e) = response.write_to(&mut output) {
            eprintln!("jenzyme-worker: the client went away: {e}");
            return 3;
        }
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
