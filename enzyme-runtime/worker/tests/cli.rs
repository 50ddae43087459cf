//! The one-shot command line: same pipeline, flags instead of frames.

mod common;

use std::process::Command;

use common::*;

#[test]
fn differentiates_a_file_and_reports_the_wrapper() {
    let scratch = Scratch::new("cli");
    let input = scratch.path("piecewise.bc");
    std::fs::write(&input, bitcode_of(fixtures::PIECEWISE, "-O2")).unwrap();
    let output = scratch.path("dpiecewise.bc");
    let dump = scratch.path("dump");
    let run = Command::new(WORKER)
        .args(["--in", input.to_str().unwrap(), "--fn", "piecewise", "--mode", "reverse"])
        .args(["--args", "const:i32*,active:double", "--ret", "active", "--out", output.to_str().unwrap()])
        .args(["--dump-ir", dump.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report = String::from_utf8(run.stdout).unwrap();
    assert!(report.contains("symbol piecewise__jenzyme_reverse"), "{report}");
    assert!(report.contains("params arg0:ptr,arg1:double,out:ptr"), "{report}");
    for phase in ["parse", "pre_opt", "enzyme", "post_opt", "write"] {
        assert!(report.contains(&format!("time {phase} ")), "{report}");
    }
    let before = std::fs::read_to_string(scratch.path("dump.before-enzyme.ll")).unwrap();
    let after = std::fs::read_to_string(scratch.path("dump.after-enzyme.ll")).unwrap();
    assert!(before.contains("define") && !before.contains("__jenzyme_reverse"));
    assert!(after.contains("define void @piecewise__jenzyme_reverse(ptr"), "{after}");

    let library = Library::from_bitcode(&std::fs::read(&output).unwrap());
    let gradient: unsafe extern "C" fn(*mut i32, f64, *mut f64) = unsafe { library.symbol("piecewise__jenzyme_reverse") };
    let mut out = [0.0; 2];
    unsafe { gradient(&mut 0, 0.4, out.as_mut_ptr()) };
    assert_rel(out[1], fixtures::piecewise(0.4).1, 1e-12, "d/dx");
}

#[test]
fn bad_flags_exit_64_with_usage() {
    let run = Command::new(WORKER).args(["--in", "x.bc", "--fn", "f"]).output().unwrap();
    assert_eq!(run.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("missing --out") && stderr.contains("usage:"), "{stderr}");
}

#[test]
fn enzyme_failures_exit_1_naming_the_phase() {
    let scratch = Scratch::new("cli-fail");
    let input = scratch.path("bad.bc");
    std::fs::write(&input, b"garbage").unwrap();
    let run = Command::new(WORKER)
        .args(["--in", input.to_str().unwrap(), "--fn", "f", "--mode", "reverse", "--args", "active:double"])
        .args(["--ret", "active", "--out", scratch.path("out.bc").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("parse failed: not valid LLVM 19 bitcode"));
}
