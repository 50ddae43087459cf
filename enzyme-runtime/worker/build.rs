//! Links the worker binary with Enzyme's `extractBLAS` routed through `blas_names` (see there why), and with
//! Enzyme's activity analysis recompiled so `isInactiveCall` builds its name tables once (see `inactive_call_tables`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--wrap=_Z11extractBLASN4llvm9StringRefE");
    println!("cargo:rerun-if-changed=build.rs");
    inactive_call_tables();
}

/// Enzyme's `isInactiveCall` (ActivityAnalysis.cpp), asked for every call the activity analysis meets, declares its
/// tables of known inactive functions as plain `const` locals: a `StringSet` of ~130 names and a `std::set` of ~40
/// intrinsics, built (one allocation per name) and freed on every question, before it even looks at the call.
/// On `./bench --latency`'s RK4 request that is 167 questions at ~107k instructions, 18.0M of the worker's 216.6M
/// (callgrind). The same file compiled with those five locals `static` answers the same from tables built once.
/// Calls to it from inside its own file do not go through `--wrap` (the linker only wraps undefined references), so
/// the whole file is recompiled with the flags Enzyme's CMake build uses and linked as a whole archive ahead of
/// Enzyme's library, whose ActivityAnalysis member the linker then never needs.
fn inactive_call_tables() {
    let source = enzyme_source("ActivityAnalysis.cpp");
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-changed=Cargo.lock"); // a new diffsl means a new Enzyme file
    let text = fs::read_to_string(&source).unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    let patched = with_static_tables(&text).unwrap_or_else(|problem| panic!("{}: {problem}", source.display()));

    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let patched_source = out.join("ActivityAnalysis.cpp");
    fs::write(&patched_source, patched).expect("OUT_DIR is writable");
    let llvm = env::var("LLVM_SYS_191_PREFIX").unwrap_or_else(|_| "/usr/lib/llvm-19".to_string());
    let object = out.join("ActivityAnalysis.o");
    let compiler = env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    // Enzyme's CMake flags for its static library (its flags.make), warnings aside.
    run(Command::new(&compiler)
        .args(["-O2", "-fPIC", "-fno-rtti", "-fno-exceptions", "-funwind-tables", "-std=gnu++17", "-w"])
        .args(["-D_GNU_SOURCE", "-D__STDC_CONSTANT_MACROS", "-D__STDC_FORMAT_MACROS", "-D__STDC_LIMIT_MACROS"])
        .arg(format!("-I{llvm}/include"))
        .arg(format!("-I{}", source.parent().unwrap().display()))
        .arg("-c")
        .arg(&patched_source)
        .arg("-o")
        .arg(&object));
    let archive = out.join("libjenzyme_activity.a");
    let _ = fs::remove_file(&archive);
    run(Command::new("ar").arg("rcs").arg(&archive).arg(&object));
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static:+whole-archive=jenzyme_activity");
}

/// `isInactiveCall`'s five table locals made `static`; an error if Enzyme's text is not the one this expects.
fn with_static_tables(text: &str) -> Result<String, String> {
    let start = text.find("bool isInactiveCall(CallBase &CI) {").ok_or("no isInactiveCall definition")?;
    let end = start + text[start..].find("  // clang-format on").ok_or("isInactiveCall's tables do not end")?;
    let tables = &text[start..end];
    let count = tables.matches("\nconst ").count();
    if count != 5 {
        return Err(format!("expected isInactiveCall's 5 table locals, found {count}: Enzyme changed; see build.rs"));
    }
    Ok(format!("{}{}{}", &text[..start], tables.replace("\nconst ", "\nstatic const "), &text[end..]))
}

/// A file of the Enzyme sources the diffsl crate builds (the version Cargo.lock pins, in Cargo's registry).
fn enzyme_source(file: &str) -> PathBuf {
    let lock = fs::read_to_string("Cargo.lock").expect("the worker's Cargo.lock");
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"diffsl\""))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .expect("diffsl in Cargo.lock");
    let cargo_home = env::var("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|_| {
        Path::new(&env::var("HOME").expect("HOME or CARGO_HOME")).join(".cargo")
    });
    let registry = cargo_home.join("registry/src");
    fs::read_dir(&registry)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", registry.display()))
        .filter_map(|index| index.ok())
        .map(|index| index.path().join(format!("diffsl-{version}/Enzyme/enzyme/Enzyme/{file}")))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("Enzyme's {file} of diffsl {version} is not under {}", registry.display()))
}

fn run(command: &mut Command) {
    let status = command.status().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(status.success(), "{command:?} failed: {status}");
}
