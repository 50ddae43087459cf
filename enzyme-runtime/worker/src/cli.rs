//! The one-shot command line: differentiate one function of a bitcode file and write the result, for debugging
//! and for the benchmark's C reference. Same pipeline as the framed protocol; the request is spelled as flags.

use std::fs;
use std::path::PathBuf;

use crate::pipeline;
use crate::spec::{Activity, ArgSpec, DiffRequest, Mode, Options};

pub const USAGE: &str = "\
usage: jenzyme-worker                      serve framed requests on stdin/stdout (PROTOCOL.md)
       jenzyme-worker --in f.bc --fn NAME --mode reverse|forward --args SPECS --ret ACTIVITY --out df.bc
                      [--width N] [--no-primal] [--ad-before-opt] [--fast-math] [--runtime-activity]
                      [--dump-ir PREFIX] [--wrapper SYMBOL]
  SPECS     comma-separated <activity>:<type> per parameter, e.g. const:i32*,active:double,dup:double*,const:i32
            activity: const | active | dup | dupnoneed;  type: double float i32 i64, or a pointer to one (double*)
  ACTIVITY  return activity: const | active (reverse) | dup | dupnoneed (forward)
  --dump-ir PREFIX  also write PREFIX.before-enzyme.ll and PREFIX.after-enzyme.ll";

struct Invocation {
    input: PathBuf,
    output: PathBuf,
    dump_prefix: Option<String>,
    request: DiffRequest,
}

/// Runs the command line; returns the process exit code.
pub fn run(args: &[String]) -> i32 {
    let invocation = match parse(args) {
        Ok(invocation) => invocation,
        Err(problem) => {
            eprintln!("jenzyme-worker: {problem}\n{USAGE}");
            return 64;
        }
    };
    match execute(&invocation) {
        Ok(()) => 0,
        Err(problem) => {
            eprintln!("jenzyme-worker: {problem}");
            1
        }
    }
}

fn execute(invocation: &Invocation) -> Result<(), String> {
    let bitcode = fs::read(&invocation.input).map_err(|e| format!("cannot read {}: {e}", invocation.input.display()))?;
    let result = pipeline::differentiate(&bitcode, &invocation.request).map_err(|f| f.to_string())?;
    fs::write(&invocation.output, &result.bitcode).map_err(|e| format!("cannot write {}: {e}", invocation.output.display()))?;
    if let Some(prefix) = &invocation.dump_prefix {
        for (suffix, ir) in [("before-enzyme", &result.ir_before_enzyme), ("after-enzyme", &result.ir_after_enzyme)] {
            let path = format!("{prefix}.{suffix}.ll");
            fs::write(&path, ir.as_deref().unwrap_or_default()).map_err(|e| format!("cannot write {path}: {e}"))?;
        }
    }
    println!("symbol {}", result.layout.symbol);
    println!("params {}", result.layout.params_token());
    println!("slots {}", result.layout.slots_token());
    for (phase, duration) in &result.timings {
        println!("time {} {:.3} ms", phase.token(), duration.as_secs_f64() * 1e3);
    }
    Ok(())
}

fn parse(args: &[String]) -> Result<Invocation, String> {
    let mut values = std::collections::HashMap::new();
    let mut options = Options::default();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        match flag.as_str() {
            "--no-primal" => options.primal_return = false,
            "--ad-before-opt" => options.ad_before_opt = true,
            "--fast-math" => options.fast_math = true,
            "--runtime-activity" => options.runtime_activity = true,
            "--in" | "--fn" | "--mode" | "--width" | "--args" | "--ret" | "--out" | "--dump-ir" | "--wrapper" => {
                let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
                values.insert(flag.as_str(), value.clone());
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    let required = |flag: &str| values.get(flag).cloned().ok_or_else(|| format!("missing {flag}"));
    let width = match values.get("--width") {
        Some(text) => text.parse().map_err(|_| format!("expected --width to be a positive integer, got '{text}'"))?,
        None => 1,
    };
    options.dump_ir = values.contains_key("--dump-ir");
    options.wrapper_name = values.get("--wrapper").cloned();
    Ok(Invocation {
        input: PathBuf::from(required("--in")?),
        output: PathBuf::from(required("--out")?),
        dump_prefix: values.get("--dump-ir").cloned(),
        request: DiffRequest {
            function: required("--fn")?,
            mode: Mode::parse(&required("--mode")?, width)?,
            args: ArgSpec::parse_list(&required("--args")?)?,
            ret: Activity::parse(&required("--ret")?)?,
            options,
        },
    })
}
