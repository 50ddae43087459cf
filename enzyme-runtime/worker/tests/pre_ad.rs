//! The pre-AD optimisation leaves loops scalar: Enzyme has no derivative for the vector reductions LLVM's loop
//! vectoriser makes of a `Math.max` loop (`llvm.vector.reduce.fmaximum`) or a reassociable product
//! (`llvm.vector.reduce.fmul`), and `opt -passes='default<O2>'` for an x86-64 CPU with AVX vectorises both loops
//! below. The derivative is still vectorised afterwards (O3); its numbers are checked against the analytic gradient.
//! The post-AD pipeline of strict requests is O3 without its SLP vectoriser (see `pipeline::POST_AD_PIPELINE`).

mod common;

use common::*;
use jenzyme_worker::llvm::{Context, PassTuning, TargetMachine};
use jenzyme_worker::pipeline;
use jenzyme_worker::spec::{Activity, ArgSpec, DiffRequest, Mode, Options};

/// `double name(int *status, double *x, int n)`: folds `x[0..n)` with `step` from `start`, in a top-tested loop.
fn fold(name: &str, start: &str, step: &str) -> String {
    format!(
        r#"declare double @llvm.maximum.f64(double, double)
define double @{name}(ptr %status, ptr %x, i32 %n) {{
entry:
  br label %head
head:
  %i = phi i32 [ 0, %entry ], [ %next, %body ]
  %acc = phi double [ {start}, %entry ], [ %acc.next, %body ]
  %more = icmp slt i32 %i, %n
  br i1 %more, label %body, label %done
body:
  %at = sext i32 %i to i64
  %element = getelementptr inbounds double, ptr %x, i64 %at
  %v = load double, ptr %element, align 8
  %acc.next = {step}
  %next = add nsw i32 %i, 1
  br label %head
done:
  ret double %acc
}}
"#
    )
}

type Gradient = unsafe extern "C" fn(*mut i32, *const f64, *mut f64, i32, *mut f64);

/// Differentiates `function` of `ir` in reverse mode: the IR Enzyme received, the optimised derivative's IR, and
/// the derivative loaded.
fn reverse(ir: &str, function: &str) -> (String, String, Library) {
    let request = DiffRequest {
        function: function.to_string(),
        mode: Mode::parse("reverse", 1).unwrap(),
        args: ArgSpec::parse_list("const:i32*,dup:double*,const:i32").unwrap(),
        ret: Activity::parse("active").unwrap(),
        // The function stays: its loop is the one O3 vectorises after Enzyme (the reverse of a max or a product
        // stays scalar), which the tests below check.
        options: Options { dump_ir: true, keep_function: true, ..Options::default() },
    };
    let result = pipeline::differentiate(&bitcode_of_ir(ir), &request).unwrap_or_else(|f| panic!("{function}: {f}"));
    let optimised = Context::new().parse_bitcode(&result.bitcode).unwrap().to_text();
    (result.ir_before_enzyme.unwrap(), optimised, Library::from_bitcode(&result.bitcode))
}

fn gradient_of(library: &Library, function: &str, x: &[f64]) -> (f64, Vec<f64>) {
    let gradient: Gradient = unsafe { library.symbol(&format!("{function}__jenzyme_reverse")) };
    let mut dx = vec![0.0; x.len()];
    let mut out = [f64::NAN];
    let mut status = 0;
    unsafe { gradient(&mut status, x.as_ptr(), dx.as_mut_ptr(), x.len() as i32, out.as_mut_ptr()) };
    assert_eq!(status, 0, "{function}: status");
    (out[0], dx)
}

fn assert_scalar(ir: &str) {
    assert!(!ir.contains("llvm.vector.reduce") && !ir.contains("x double>"), "vector code before Enzyme:\n{ir}");
}

fn inputs() -> Vec<f64> {
    (0..103).map(|i| 1.0 + 0.25 * ((i * 37 % 101) as f64 / 101.0)).collect()
}

#[test]
fn a_max_loop_reaches_enzyme_scalar_and_its_gradient_picks_the_largest_element() {
    let maximum = "call double @llvm.maximum.f64(double %acc, double %v)";
    let (before, after, library) = reverse(&fold("largest", "0xFFF0000000000000", maximum), "largest");
    assert_scalar(&before);
    assert!(after.contains("x double>"), "the derivative is vectorised after Enzyme:\n{after}");
    let x = inputs();
    let argmax = (0..x.len()).max_by(|&a, &b| x[a].total_cmp(&x[b])).unwrap();
    let (value, dx) = gradient_of(&library, "largest", &x);
    assert_eq!(value, x[argmax]);
    for (i, d) in dx.iter().enumerate() {
        assert_eq!(*d, if i == argmax { 1.0 } else { 0.0 }, "d/dx[{i}] (largest at {argmax})");
    }
}

#[test]
fn a_reassociable_product_loop_reaches_enzyme_scalar_and_its_gradient_is_the_product_of_the_others() {
    let (before, after, library) = reverse(&fold("product", "1.0", "fmul reassoc double %acc, %v"), "product");
    assert_scalar(&before);
    assert!(after.contains("x double>"), "the derivative is vectorised after Enzyme:\n{after}");
    let x = inputs();
    let (value, dx) = gradient_of(&library, "product", &x);
    let product: f64 = x.iter().product();
    assert_rel(value, product, 1e-12, "product");
    for (i, d) in dx.iter().enumerate() {
        assert_rel(*d, product / x[i], 1e-12, &format!("d/dx[{i}]"));
    }
}

/// Two products stored side by side: what the SLP vectoriser turns into one `<2 x double>` multiply and store.
const STORE_PAIR: &str = r#"define void @pair(ptr noalias %out, ptr noalias %a, ptr noalias %b) {
entry:
  %a1.at = getelementptr inbounds double, ptr %a, i64 1
  %b1.at = getelementptr inbounds double, ptr %b, i64 1
  %out1.at = getelementptr inbounds double, ptr %out, i64 1
  %a0 = load double, ptr %a, align 8
  %a1 = load double, ptr %a1.at, align 8
  %b0 = load double, ptr %b, align 8
  %b1 = load double, ptr %b1.at, align 8
  %m0 = fmul double %a0, %b0
  %m1 = fmul double %a1, %b1
  store double %m0, ptr %out, align 8
  store double %m1, ptr %out1.at, align 8
  ret void
}
"#;

fn optimised(bitcode: &[u8], pipeline: &str) -> String {
    let context = Context::new();
    let module = context.parse_bitcode(bitcode).unwrap();
    let machine = TargetMachine::host().unwrap();
    module.default_target_to(&machine); // the host's vector registers, as for a lowered Java method
    module.run_passes(pipeline, &machine, PassTuning::Full).unwrap();
    module.to_text()
}

/// The strict post-AD pipeline is LLVM 19's `default<O3>` with the SLP vectoriser taken out, and two passes that
/// change nothing for our modules (`pipeline::POST_AD_PIPELINE`); --fast-math's has SLP back where O3 runs it. With
/// the other two put back too, it optimises a module exactly as `default<O3>` does; without SLP the stores it would
/// pair stay scalar.
#[test]
fn the_post_ad_pipelines_are_o3_without_slp_and_with_it() {
    let strict = pipeline::POST_AD_PIPELINE.trim_end();
    let fast_math = pipeline::fast_math_post_ad_pipeline();
    assert_eq!(fast_math.matches("slp-vectorizer").count(), 1, "{fast_math}");
    assert_eq!(fast_math.matches("ipsccp,globalopt").count(), 1, "where O3 runs called-value-propagation");
    let o3_again = fast_math.replacen("ipsccp,globalopt", "ipsccp,called-value-propagation,globalopt", 1) + ",verify";
    let bitcode = bitcode_of_ir(STORE_PAIR);
    let o3 = optimised(&bitcode, "default<O3>");
    assert!(o3.contains("fmul <2 x double>"), "{o3}");
    assert_eq!(optimised(&bitcode, &o3_again), o3);
    assert!(optimised(&bitcode, &fast_math).contains("fmul <2 x double>"));
    let without = optimised(&bitcode, strict);
    assert!(!without.contains("<2 x double>") && without.matches("fmul double").count() == 2, "{without}");
}

/// A request that defers the post-AD pipeline (`Options::defer_post_opt`, what a notebook's JIT asks for) gets the
/// module before it (without the dead function Enzyme differentiated), and the pipeline's text: running that text on
/// the module gives the module a request without deferral gets, and both compute the same bits. The deferred phase is
/// not timed.
#[test]
fn a_deferred_post_ad_pipeline_is_named_and_gives_the_same_module_when_run() {
    let ir = fold("sum", "0.0", "fadd double %acc, %v");
    let request = |defer_post_opt| DiffRequest {
        function: "sum".to_string(),
        mode: Mode::parse("reverse", 1).unwrap(),
        args: ArgSpec::parse_list("const:i32*,dup:double*,const:i32").unwrap(),
        ret: Activity::parse("active").unwrap(),
        options: Options { defer_post_opt, ..Options::default() },
    };
    let whole = pipeline::differentiate(&bitcode_of_ir(&ir), &request(false)).unwrap();
    let deferred = pipeline::differentiate(&bitcode_of_ir(&ir), &request(true)).unwrap();
    assert_eq!(whole.post_opt, None);
    assert_eq!(deferred.post_opt.as_deref(), Some(pipeline::POST_AD_PIPELINE.trim_end()));
    let phases = |result: &pipeline::Differentiated| result.timings.iter().map(|(p, _)| p.token()).collect::<Vec<_>>();
    assert_eq!(phases(&whole), ["parse", "pre_opt", "enzyme", "post_opt", "write"]);
    assert_eq!(phases(&deferred), ["parse", "pre_opt", "enzyme", "write"]);
    let as_sent = Context::new().parse_bitcode(&deferred.bitcode).unwrap().to_text();
    let optimised_here = optimised(&deferred.bitcode, deferred.post_opt.as_deref().unwrap());
    assert_ne!(as_sent, optimised_here, "the deferred module is not optimised yet");
    assert!(as_sent.contains("define internal { double } @diffesum(") && !as_sent.contains("define internal double @sum("),
            "Enzyme's function stays for the wrapper, the differentiated one is dropped:\n{as_sent}");
    // The same code: only the file names and the order blocks list their predecessors in (a comment) differ.
    let code = |text: &str| {
        text.lines()
            .filter(|line| !line.starts_with("source_filename"))
            .map(|line| line.split("; preds =").next().unwrap().trim_end().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(code(&optimised_here), code(&Context::new().parse_bitcode(&whole.bitcode).unwrap().to_text()));

    let x = inputs();
    let (unoptimised, optimised) = (Library::from_bitcode(&deferred.bitcode), Library::from_bitcode(&whole.bitcode));
    let (value, dx) = gradient_of(&unoptimised, "sum", &x);
    assert_eq!((value.to_bits(), dx.iter().map(|d| d.to_bits()).collect::<Vec<_>>()),
               { let (v, d) = gradient_of(&optimised, "sum", &x); (v.to_bits(), d.iter().map(|d| d.to_bits()).collect()) });
    assert_rel(value, x.iter().sum(), 1e-12, "sum");
    assert!(dx.iter().all(|&d| d == 1.0), "{dx:?}");
}
