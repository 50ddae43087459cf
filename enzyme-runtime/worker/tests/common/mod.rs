//! Helpers shared by the integration tests: C fixtures compiled by clang-19, a worker process spoken to over the
//! framed protocol, and returned bitcode linked into a shared library and called through dlopen.
#![allow(dead_code)] // each test binary uses a different subset

use std::ffi::{c_char, c_int, c_void, CString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use jenzyme_worker::frame::Frame;

pub mod fixtures;

pub const WORKER: &str = env!("CARGO_BIN_EXE_jenzyme-worker");

/// A scratch directory per call, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(label: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("jenzyme-worker-test-{}-{label}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Compiles C source to LLVM 19 bitcode, as the benchmark's C reference is compiled.
pub fn bitcode_of(source: &str, opt: &str) -> Vec<u8> {
    let scratch = Scratch::new("c");
    let c = scratch.path("fixture.c");
    std::fs::write(&c, source).unwrap();
    let bc = scratch.path("fixture.bc");
    run(Command::new("clang-19").args([opt, "-fPIC", "-ffp-contract=off", "-emit-llvm", "-c"]).arg(&c).arg("-o").arg(&bc));
    std::fs::read(bc).unwrap()
}

/// A worker process spoken to through the framed protocol.
pub struct Worker {
    child: Child,
    input: Option<ChildStdin>,
    output: ChildStdout,
}

impl Worker {
    pub fn start() -> Worker {
        Worker::start_with(&[])
    }

    /// A worker with these environment variables set (test switches).
    pub fn start_with(environment: &[(&str, &str)]) -> Worker {
        let mut child = Command::new(WORKER)
            .envs(environment.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the worker binary starts");
        let input = child.stdin.take().unwrap();
        let output = child.stdout.take().unwrap();
        Worker { child, input: Some(input), output }
    }

    /// The serving process: the worker re-executes itself in place, so this is its id after that too.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send(&mut self, frame: &Frame) -> Frame {
        frame.write_to(self.input.as_mut().unwrap()).expect("the worker reads the request");
        match Frame::read_from(&mut self.output) {
            Ok(frame) => frame,
            Err(e) => panic!("expected a response frame, got {e:?}"),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let input = self.input.as_mut().unwrap();
        input.write_all(bytes).unwrap();
        input.flush().unwrap();
    }

    pub fn read(&mut self) -> Result<Frame, jenzyme_worker::frame::ReadError> {
        Frame::read_from(&mut self.output)
    }

    pub fn wait(mut self) -> std::process::ExitStatus {
        self.input = None; // closing stdin is the worker's signal to exit
        self.child.wait().unwrap()
    }

    pub fn differentiate(&mut self, bitcode: &[u8], fields: &[(&str, &str)]) -> Frame {
        let mut frame = Frame::new().with("request", "differentiate");
        for (key, value) in fields {
            frame = frame.with(key, value);
        }
        self.send(&frame.with_section("bitcode", bitcode.to_vec()))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn assert_ok(response: &Frame) {
    assert_eq!(
        response.get("status"),
        Some("ok"),
        "expected success, got phase {:?}: {}",
        response.get("phase"),
        String::from_utf8_lossy(response.section("message").unwrap_or_default())
    );
}

pub fn error_message(response: &Frame) -> String {
    assert_eq!(response.get("status"), Some("error"), "expected an error response, got {:?}", response.fields);
    String::from_utf8_lossy(response.section("message").expect("errors carry a message")).into_owned()
}

extern "C" {
    fn dlopen(filename: *const c_char, flag: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn dlerror() -> *mut c_char;
}
const RTLD_NOW: c_int = 2;
const RTLD_LOCAL: c_int = 0;

/// Returned bitcode linked into a shared library and loaded; kept open for the test's lifetime.
pub struct Library {
    handle: *mut c_void,
    _scratch: Scratch,
}

impl Library {
    pub fn from_bitcode(bitcode: &[u8]) -> Library {
        Library::from_bitcode_and_c(bitcode, None)
    }

    /// The bitcode linked with C source that defines what it calls (e.g. the BLAS routines Enzyme's rules call).
    pub fn from_bitcode_and_c(bitcode: &[u8], c_source: Option<&str>) -> Library {
        let scratch = Scratch::new("so");
        let bc = scratch.path("derivative.bc");
        std::fs::write(&bc, bitcode).unwrap();
        let so = scratch.path("derivative.so");
        let mut clang = Command::new("clang-19");
        clang.args(["-shared", "-fPIC", "-O0"]).arg(&bc);
        if let Some(source) = c_source {
            let c = scratch.path("callees.c");
            std::fs::write(&c, source).unwrap();
            clang.arg(c);
        }
        run(clang.arg("-o").arg(&so).arg("-lm"));
        Library::open(&so, scratch)
    }

    fn open(path: &Path, scratch: Scratch) -> Library {
        let name = CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: dlopen of a library we just linked; the handle stays open (never dlclosed) so symbols stay valid.
        let handle = unsafe { dlopen(name.as_ptr(), RTLD_NOW | RTLD_LOCAL) };
        assert!(!handle.is_null(), "dlopen failed: {}", unsafe { std::ffi::CStr::from_ptr(dlerror()).to_string_lossy() });
        Library { handle, _scratch: scratch }
    }

    /// # Safety
    /// `F` must be an `extern "C"` function pointer type matching the symbol's C signature.
    pub unsafe fn symbol<F: Copy>(&self, name: &str) -> F {
        assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<*mut c_void>());
        let cname = CString::new(name).unwrap();
        let address = dlsym(self.handle, cname.as_ptr());
        assert!(!address.is_null(), "symbol {name} not found in the derivative library");
        std::mem::transmute_copy(&address)
    }
}

/// |got - want| <= tol * |want|: relative, so a test cannot pass by both sides being tiny.
#[track_caller]
pub fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs(),
        "{what}: got {got:e}, want {want:e} (relative error {:e}, tolerance {tol:e})",
        ((got - want) / want).abs()
    );
}

/// Central finite difference of `f` at `x`.
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-6 * x.abs().max(1.0);
    (f(x + h) - f(x - h)) / (2.0 * h)
}

/// Assembles textual LLVM IR (for shapes C cannot express, e.g. an internal function without callers).
pub fn bitcode_of_ir(ir: &str) -> Vec<u8> {
    let scratch = Scratch::new("ll");
    let ll = scratch.path("fixture.ll");
    std::fs::write(&ll, ir).unwrap();
    let bc = scratch.path("fixture.bc");
    run(Command::new("llvm-as-19").arg(&ll).arg("-o").arg(&bc));
    std::fs::read(bc).unwrap()
}
