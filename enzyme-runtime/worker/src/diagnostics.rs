//! Where LLVM's and Enzyme's complaints go instead of `exit(1)`: both callbacks append to one process-wide list
//! that the pipeline drains after each phase (one request at a time, so process-wide is per-request).
//! The callbacks never unwind: a panic inside them would cross an `extern "C"` frame.

use std::ffi::{c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use llvm_sys::core::{LLVMDisposeMessage, LLVMGetDiagInfoDescription, LLVMGetDiagInfoSeverity};
use llvm_sys::prelude::LLVMDiagnosticInfoRef;
use llvm_sys::LLVMDiagnosticSeverity;

static ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub fn record(message: String) {
    let mut errors = ERRORS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    errors.push(message);
}

/// Takes every error recorded since the last call, each once: Enzyme reports a missing derivative from every
/// pass (augmented forward, reverse) that needed it.
pub fn take() -> Vec<String> {
    let mut errors = ERRORS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut distinct: Vec<String> = Vec::new();
    for error in errors.drain(..) {
        if !distinct.contains(&error) {
            distinct.push(error);
        }
    }
    distinct
}

/// Installed on every request's LLVM context. Errors are recorded; warnings and remarks only go to stderr, which
/// the client keeps as context for a failure.
pub extern "C" fn on_llvm_diagnostic(info: LLVMDiagnosticInfoRef, _context: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: LLVM hands us a live diagnostic; the description is ours to dispose.
        let (severity, text) = unsafe {
            let raw = LLVMGetDiagInfoDescription(info);
            let text = CStr::from_ptr(raw).to_string_lossy().into_owned();
            LLVMDisposeMessage(raw);
            (LLVMGetDiagInfoSeverity(info), text)
        };
        match severity {
            LLVMDiagnosticSeverity::LLVMDSError => record(text),
            LLVMDiagnosticSeverity::LLVMDSWarning => eprintln!("llvm warning: {text}"),
            _ => {}
        }
    }));
}

/// Turns a C string from Enzyme into a Rust string, tolerating null.
///
/// # Safety
/// `raw` must be null or a NUL-terminated string valid for the duration of the call.
pub unsafe fn c_text(raw: *const std::ffi::c_char) -> String {
    if raw.is_null() {
        String::new()
    } else {
        CStr::from_ptr(raw).to_string_lossy().into_owned()
    }
}
