//! One request, start to end: parse and verify → check the request against the function → pre-AD optimisation
//! (O2 without loop vectorisation/SLP/unrolling) → long blocks cut into functions → expensive math results marked
//! for the tape → Enzyme → remove `preprocess_*`
//! clones → failure checks made inlinable → interrupt polls in reverse loops and large zeroings → C-ABI wrapper → O3 (without SLP unless
//! --fast-math; or left to the client, which then runs it itself) → verify → bitcode. Each phase is timed; the first failure names its phase. Called by `serve` (framed protocol)
//! and `cli`.

use std::fmt;
use std::time::{Duration, Instant};

use llvm_sys::prelude::LLVMValueRef;

use crate::cache_slots;
use crate::diagnostics;
use crate::enzyme;
use crate::failure_checks;
use crate::kept_results;
use crate::llvm::{self, Context, Module, PassTuning, TargetMachine};
use crate::loop_fission;
use crate::outline;
use crate::reverse_polls;
use crate::stencil;
use crate::spec::{Activity, ArgType, DiffRequest, Mode, Scalar};
use crate::vector_variants;
use crate::wrapper::{self, Layout};
use crate::zeroing_polls;

/// The phases a request goes through, in order; `Internal` is a bug in the worker caught at the top.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Request,
    Parse,
    PreOpt,
    Enzyme,
    PostOpt,
    Write,
    Internal,
}

impl Phase {
    pub fn token(self) -> &'static str {
        match self {
            Phase::Request => "request",
            Phase::Parse => "parse",
            Phase::PreOpt => "pre_opt",
            Phase::Enzyme => "enzyme",
            Phase::PostOpt => "post_opt",
            Phase::Write => "write",
            Phase::Internal => "internal",
        }
    }
}

#[derive(Debug)]
pub struct Failure {
    pub phase: Phase,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.phase.token(), self.message)
    }
}

pub struct Differentiated {
    pub bitcode: Vec<u8>,
    pub layout: Layout,
    /// The request's lanes, which the layout's tokens do not show (a shadow is `ptr` at every width above 1 and at 1
    /// for pointers): the client checks it against what it asked for.
    pub width: u32,
    /// The overwriting wrapper's symbol, when the request asked for one and the module defines it (PROTOCOL.md).
    pub overwrite_symbol: Option<String>,
    /// The overwriting wrapper's parts form, `<symbol>_set_parts`, beside it (PROTOCOL.md).
    pub parts_symbol: Option<String>,
    pub timings: Vec<(Phase, Duration)>,
    /// The post-AD pipeline the client still has to run, when the request deferred it (`Options::defer_post_opt`).
    pub post_opt: Option<String>,
    pub ir_before_enzyme: Option<String>,
    pub ir_after_enzyme: Option<String>,
}

/// The pre-AD pipeline is O2 with loop vectorisation, SLP and unrolling switched off (`PassTuning`): Enzyme then
/// sees simplified scalar code, and O3 afterwards vectorises the derivative as a whole.
const PRE_AD_PIPELINE: &str = "default<O2>";
/// After Enzyme, strict requests run LLVM 19's `default<O3>` without its SLP vectoriser: the file is
/// `opt -passes='default<O3>' -print-pipeline-passes` with `slp-vectorizer` (and the printer's `BitcodeWriterPass`)
/// removed; with SLP put back it gives the same module as `default<O3>`. Also removed, as they change nothing here:
/// `called-value-propagation`, which only lists the possible callees of indirect calls (`!callees`), and our
/// modules call by name (it was 2.4M of the 88M instructions of the post-AD pipeline on `./bench --latency`'s RK4
/// request, callgrind on `opt`; without it the same output byte for byte on the requests of the Java suites), and
/// the final `verify`, which `differentiate` runs itself. The C API cannot simply switch SLP off:
/// parsing `default<O3>` turns it back on (see `Module::run_passes`). Measured: on `./bench --latency`'s 30-line RK4
/// method SLP took 36M of the worker's 218M instructions (callgrind), to pair three stores; `./bench` A/B in one
/// session (load 6-8): ODE RK4 gradient 76.4/73.6 -> 69.6/69.0 us, LogReg 885 -> 862 us (same ratios to the
/// unchanged %jit primal), Rosenbrock and Transcendental within noise. --fast-math keeps O3's SLP
/// ([`fast_math_post_ad_pipeline`]): with reassociation SLP can turn sums into vector reductions (issue 14's JAX
/// targets).
pub const POST_AD_PIPELINE: &str = include_str!("post_ad_pipeline.txt");
/// What a deferred post-AD pipeline leaves done in the worker: only dead functions removed.
const DEAD_FUNCTIONS_PIPELINE: &str = "globaldce";
/// Where `default<O3>` runs SLP, in [`POST_AD_PIPELINE`]: after the late SimplifyCFG, before VectorCombine.
const SLP_PLACE: &str = "no-speculate-unpredictables>,vector-combine";

/// The post-AD pipeline of --fast-math requests: the strict one with SLP back in its place.
pub fn fast_math_post_ad_pipeline() -> String {
    POST_AD_PIPELINE.trim_end().replacen(SLP_PLACE, "no-speculate-unpredictables>,slp-vectorizer,vector-combine", 1)
}

pub fn differentiate(bitcode: &[u8], request: &DiffRequest) -> Result<Differentiated, Failure> {
    let mut timer = PhaseTimer::new();
    request.check_activities().map_err(fail(Phase::Request))?;
    diagnostics::take(); // nothing from an earlier request may fail this one

    let context = Context::new();
    let module = context.parse_bitcode(bitcode).map_err(fail(Phase::Parse))?;
    module.verify().map_err(|e| Failure { phase: Phase::Parse, message: format!("the input module is invalid: {e}") })?;
    let function = find_function(&module, &request.function)?;
    let layout = check_signature(function, request)?;
    // The function is an entry point from now on: an internal one without callers would be deleted by the
    // pre-AD pipeline, and the wrapper calls it from outside anyway.
    llvm::make_external(function);
    let machine = TargetMachine::host().map_err(fail(Phase::Parse))?;
    module.default_target_to(&machine);
    // clang -O0 marks every function optnone, which would keep the optimiser (and Enzyme's cleanups) away from
    // exactly the code this worker exists to optimise.
    for f in module.functions() {
        llvm::set_function_attribute(f, "optnone", false);
    }
    timer.end(Phase::Parse);

    let unoptimised = stencil::copy_if_eligible(&module, request);
    let mut stencil = None;
    if !request.options.ad_before_opt {
        module.run_passes(PRE_AD_PIPELINE, &machine, PassTuning::NoLoopTransforms).map_err(fail(Phase::PreOpt))?;
        check_diagnostics(Phase::PreOpt)?;
        stencil = unoptimised.and_then(|copy| {
            stencil::recognise(copy, &module, request, |copy| {
                copy.run_passes(PRE_AD_PIPELINE, &machine, PassTuning::NoLoopTransforms)
            })
        });
        if request.options.fast_math && request.mode == Mode::REVERSE {
            loop_fission::distribute_vector_maths(&module);
        }
        outline::split_long_blocks(&module);
        timer.end(Phase::PreOpt);
    }

    if request.options.tape_math {
        kept_results::keep_expensive_results(&module);
    }
    let ir_before_enzyme = request.options.dump_ir.then(|| module.to_text());
    let derivative = enzyme::differentiate(context.raw(), function, request).map_err(fail(Phase::Enzyme))?;
    // The fused derivative is an optimisation: if it cannot be built, Enzyme's derivative stays.
    let (derivative, overwriting) = match stencil.as_ref().map(|s| stencil::fuse(&module, s, request, derivative.function)) {
        Some(Ok(fused)) => fused,
        Some(Err(problem)) => {
            eprintln!("jenzyme-worker: the fused stencil derivative of {} was not built, Enzyme's stays: {}",
                      request.function, problem.lines().next().unwrap_or_default());
            (derivative.function, None)
        }
        None => (derivative.function, None),
    };
    remove_preprocess_clones(&module);
    cache_slots::untag_pointer_slots(&module);
    if !request.options.defer_failure_checks {
        failure_checks::inline_after_ad(&module);
    }
    reverse_polls::insert(&module);
    zeroing_polls::insert(&module);
    wrapper::emit(&module, request, &layout, derivative).map_err(fail(Phase::Enzyme))?;
    let (overwrite_symbol, parts_symbol) = match overwriting {
        Some(overwriting) => {
            let set = Layout { symbol: format!("{}_set", layout.symbol), ..layout.clone() };
            wrapper::emit(&module, request, &set, overwriting.whole).map_err(fail(Phase::Enzyme))?;
            let parts = Layout { symbol: format!("{}_parts", set.symbol), ..layout.clone() };
            wrapper::emit_parts(&module, request, &parts, overwriting.parts).map_err(fail(Phase::Enzyme))?;
            (Some(set.symbol), Some(parts.symbol))
        }
        None => (None, None),
    };
    if !request.options.keep_function {
        llvm::make_internal(function); // O3 deletes it unless the wrapper still calls it
    }
    if request.options.fast_math {
        module.allow_reassociation();
        vector_variants::spread(&module);
    }
    let ir_after_enzyme = request.options.dump_ir.then(|| module.to_text());
    module
        .verify()
        .map_err(|e| Failure { phase: Phase::Enzyme, message: format!("Enzyme produced an invalid module: {e}") })?;
    timer.end(Phase::Enzyme);

    let post_ad =
        if request.options.fast_math { fast_math_post_ad_pipeline() } else { POST_AD_PIPELINE.trim_end().to_string() };
    let post_opt = if request.options.defer_post_opt {
        // The client compiles this module without optimisation first: the function Enzyme differentiated is dead
        // now (internal, called by nothing unless kept), and it was half the quick code generation's work on
        // ./bench --latency's RK4 method (llc -O0: 18.2M -> 10.2M instructions beyond reading the module).
        module.run_passes(DEAD_FUNCTIONS_PIPELINE, &machine, PassTuning::Full).map_err(fail(Phase::Enzyme))?;
        Some(post_ad)
    } else {
        module.run_passes(&post_ad, &machine, PassTuning::Full).map_err(fail(Phase::PostOpt))?;
        check_diagnostics(Phase::PostOpt)?;
        module.verify().map_err(fail(Phase::PostOpt))?;
        timer.end(Phase::PostOpt);
        None
    };

    let bitcode = module.to_bitcode();
    timer.end(Phase::Write);
    Ok(Differentiated {
        bitcode,
        layout,
        width: request.mode.width(),
        overwrite_symbol,
        parts_symbol,
        timings: timer.finish(),
        post_opt,
        ir_before_enzyme,
        ir_after_enzyme,
    })
}

fn fail(phase: Phase) -> impl Fn(String) -> Failure {
    move |message| Failure { phase, message }
}

fn check_diagnostics(phase: Phase) -> Result<(), Failure> {
    let errors = diagnostics::take();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure { phase, message: errors.join("\n") })
    }
}

fn find_function(module: &Module, name: &str) -> Result<LLVMValueRef, Failure> {
    match module.function(name) {
        Some(f) if !llvm::is_declaration(f) => Ok(f),
        Some(_) => Err(Failure {
            phase: Phase::Request,
            message: format!("function '{name}' is only declared in the module: expected its definition"),
        }),
        None => {
            let defined: Vec<String> =
                module.functions().into_iter().filter(|f| !llvm::is_declaration(*f)).map(llvm::name_of).collect();
            Err(Failure {
                phase: Phase::Request,
                message: format!("function '{name}' not found in the module; it defines: {}", defined.join(", ")),
            })
        }
    }
}

/// The contract between request and IR: one spec per parameter, each of the LLVM type the spec names.
fn check_signature(function: LLVMValueRef, request: &DiffRequest) -> Result<Layout, Failure> {
    let (params, ret) = llvm::signature(function);
    let params: Vec<String> = params.into_iter().map(llvm::type_name).collect();
    let ret = llvm::type_name(ret);
    let request_error = |message: String| Failure { phase: Phase::Request, message };
    if params.len() != request.args.len() {
        return Err(request_error(format!(
            "function '{}' takes {} parameters ({}), the request describes {}",
            request.function,
            params.len(),
            params.join(", "),
            request.args.len()
        )));
    }
    for (i, (spec, actual)) in request.args.iter().zip(&params).enumerate() {
        let expected = llvm_type_of(spec.ty);
        if expected != *actual {
            return Err(request_error(format!(
                "parameter {i} of '{}': expected {expected} (from {spec}), got {actual}",
                request.function
            )));
        }
    }
    let floating_return = ret == "double" || ret == "float";
    match request.ret {
        Activity::Const => {}
        _ if ret == "void" => {
            return Err(request_error(format!(
                "'{}' returns void: expected return activity const, got {}",
                request.function,
                request.ret.token()
            )))
        }
        Activity::Active if !floating_return => {
            return Err(request_error(format!(
                "return activity active needs a floating return, '{}' returns {ret}",
                request.function
            )))
        }
        _ => {}
    }
    if !["void", "double", "float", "i32", "i64", "ptr"].contains(&ret.as_str()) {
        return Err(request_error(format!(
            "'{}' returns {ret}: expected void, double, float, i32, i64 or ptr",
            request.function
        )));
    }
    Ok(Layout::plan(request, &params, &ret))
}

fn llvm_type_of(ty: ArgType) -> &'static str {
    match ty {
        ArgType::PointerTo(_) | ArgType::RowTable(_) => "ptr",
        ArgType::Value(Scalar::Double) => "double",
        ArgType::Value(Scalar::Float) => "float",
        ArgType::Value(Scalar::I32) => "i32",
        ArgType::Value(Scalar::I64) => "i64",
        ArgType::Value(Scalar::I8) => "i8",
    }
}

/// Enzyme keeps the preprocessed copies it differentiated; they would only cost O3 time and bitcode size.
fn remove_preprocess_clones(module: &Module) {
    for f in module.functions() {
        if llvm::name_of(f).starts_with("preprocess_") && !llvm::has_uses(f) {
            llvm::delete_function(f);
        }
    }
}

struct PhaseTimer {
    last: Instant,
    timings: Vec<(Phase, Duration)>,
}

impl PhaseTimer {
    fn new() -> PhaseTimer {
        PhaseTimer { last: Instant::now(), timings: Vec::new() }
    }

    fn end(&mut self, phase: Phase) {
        let now = Instant::now();
        self.timings.push((phase, now - self.last));
        self.last = now;
    }

    fn finish(self) -> Vec<(Phase, Duration)> {
        self.timings
    }
}
